"""Berth's settings with the plain Redis channel layer for stored logs (every socket its
own member of the group): the baseline bench.build_logs measures the fan-out layer against."""

from console.settings import *  # noqa: F403
from console.settings import CHANNEL_LAYERS

CHANNEL_LAYERS["fanout"] = CHANNEL_LAYERS["default"]
