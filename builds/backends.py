"""Which builder a build gets: real build pods, or the simulation where the
project's pods run no containers (kwok's fake nodes)."""

from __future__ import annotations

import functools

from django.conf import settings

from builds.cluster import PodBuilder, namespace_node_selector, real_node_ready
from kube.client import api_group_served, api_server
from kube.errors import ClusterError

KWOK_GROUP = "kwok.x-k8s.io"  # simulation.KWOK_GROUP: not imported on the real path
KWOK_NODE_SELECTOR = "type=kwok"  # kwok's label for its fake nodes


def _pods_are_fakes(namespace: str) -> bool:
    """Whether pods of ``namespace`` land on kwok's fake nodes: the namespace sends
    them there (the PodNodeSelector annotation), or no other node is Ready."""
    try:
        return namespace_node_selector(namespace) == KWOK_NODE_SELECTOR or not real_node_ready()
    except ClusterError:
        return True


@functools.cache
def _kwok_served(server: str) -> bool:
    """Decided once per API server (tests point Berth at other clusters)."""
    return api_group_served(KWOK_GROUP)


def simulation_enabled(namespace: str) -> bool:
    """``BERTH_BUILD_SIMULATION`` is ``on``, ``off`` or ``auto`` (the default: simulate
    when the cluster is kwok's and the namespace's pods would be fakes)."""
    mode = settings.BERTH_BUILD_SIMULATION.lower()
    if mode in ("on", "true", "1"):
        return True
    if mode in ("off", "false", "0"):
        return False
    return _kwok_served(api_server()) and _pods_are_fakes(namespace)


def new_builder(namespace: str):
    """A builder for one build run in ``namespace`` (``PodBuilder`` or ``SimulatedBuilder``)."""
    if simulation_enabled(namespace):
        from builds.simulation import SimulatedBuilder  # only clusters that need it load it

        return SimulatedBuilder()
    return PodBuilder()
