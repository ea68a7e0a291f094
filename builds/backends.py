"""Which builder this cluster gets, chosen once: real build pods, or the simulation
for clusters whose pods run no containers (kwok)."""

from __future__ import annotations

import functools

from django.conf import settings

from builds.cluster import PodBuilder
from kube.client import api_group_served, api_server


def simulation_enabled() -> bool:
    """``BERTH_BUILD_SIMULATION`` is ``on``, ``off`` or ``auto`` (the default: simulate
    when the cluster serves kwok's API, i.e. its pods are fakes)."""
    mode = settings.BERTH_BUILD_SIMULATION.lower()
    if mode in ("on", "true", "1"):
        return True
    if mode in ("off", "false", "0"):
        return False
    return api_group_served("kwok.x-k8s.io")  # simulation.KWOK_GROUP: not imported on the real path


@functools.cache
def _builder_class(mode: str, server: str) -> type:
    """Decided once per setting and API server (tests point Berth at other clusters)."""
    if simulation_enabled():
        from builds.simulation import SimulatedBuilder  # only clusters that need it load it

        return SimulatedBuilder
    return PodBuilder


def new_builder():
    """A builder for one build run (``PodBuilder`` or ``SimulatedBuilder``)."""
    return _builder_class(settings.BERTH_BUILD_SIMULATION, api_server())()
