"""The thin client against the real API server: what it refuses to do."""

from __future__ import annotations

import pytest
from kubernetes import client

from kube import NotFound, system_identity
from kube.client import api, call
from storage import cluster as cluster_storage


def test_a_name_a_path_would_normalise_never_reaches_the_api_server(berth_cluster, namespace, admin_client):
    """``..`` as a name turns ``…/persistentvolumeclaims/..`` into the namespace's own
    path (urllib3 normalises it before sending): the read would get, and the delete
    delete, the namespace instead of the object asked for. (That no redirect is
    followed either is tests/unit/kube/test_client.py's.)"""
    identity = system_identity()  # may delete namespaces: the worst case
    with pytest.raises(NotFound):
        cluster_storage.volume_get(identity, namespace=namespace, name="..")
    with pytest.raises(NotFound):
        call(api(identity, "core").delete_namespaced_persistent_volume_claim, "..", namespace)
    still = client.CoreV1Api(admin_client).read_namespace(namespace)
    assert still.status.phase == "Active" and still.metadata.deletion_timestamp is None
