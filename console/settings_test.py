"""Settings for the test suite: test mode, then the ordinary settings."""

import os

os.environ.setdefault("BERTH_MODE", "test")

from console.settings import *  # noqa: F403
