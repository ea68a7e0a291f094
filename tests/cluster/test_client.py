"""The thin client against the real API server: what it refuses to do."""

from __future__ import annotations

import pytest
from kubernetes import client

from kube import NotFound, system_identity
from kube.client import api, call
from storage import cluster as cluster_storage


def test_a_path_the_api_server_normalises_is_never_followed(berth_cluster, namespace, admin_client):
    """``..`` as a name makes the API server redirect to the namespace itself; following
    it would read, or delete, the namespace instead of the object asked for."""
    identity = system_identity()  # may delete namespaces: the worst case
    with pytest.raises(NotFound):
        cluster_storage.volume_get(identity, namespace=namespace, name="..")
    with pytest.raises(NotFound):
        call(api(identity, "core").delete_namespaced_persistent_volume_claim, "..", namespace)
    still = client.CoreV1Api(admin_client).read_namespace(namespace)
    assert still.status.phase == "Active" and still.metadata.deletion_timestamp is None
