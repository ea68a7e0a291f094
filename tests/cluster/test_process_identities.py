"""Each of Berth's processes holds only what it needs (deploy/rbac.yaml): the devcluster
gives each its own token user, bound to its ClusterRole by `cluster_bootstrap --devcluster`."""

from __future__ import annotations

import pytest
from kubernetes import client


def may(api: client.ApiClient, verb: str, resource: str, group: str = "", namespace: str = "") -> bool:
    review = client.AuthorizationV1Api(api).create_self_subject_access_review(
        {
            "spec": {
                "resourceAttributes": {
                    "verb": verb,
                    "resource": resource,
                    "group": group,
                    "namespace": namespace,
                }
            }
        }
    )
    return review.status.allowed


CHECKS = [
    # (verb, resource, group): web, actions, builds
    (("create", "namespaces", ""), (False, True, False)),
    (("delete", "namespaces", ""), (False, True, False)),
    (("create", "rolebindings", "rbac.authorization.k8s.io"), (False, True, False)),
    (("create", "resourcequotas", ""), (False, True, False)),
    (("list", "namespaces", ""), (True, True, False)),
    (("get", "namespaces", ""), (True, True, True)),
    (("watch", "pods", ""), (True, True, False)),
    (("list", "ingresses", "networking.k8s.io"), (True, True, False)),
    (("impersonate", "users", ""), (True, True, True)),
    (("list", "secrets", ""), (False, False, False)),
    (("create", "pods", ""), (False, False, False)),
]


@pytest.mark.parametrize(("check", "allowed"), CHECKS, ids=[f"{c[0]}-{c[1]}" for c, _ in CHECKS])
def test_each_process_identity_may_do_only_its_part(berth_cluster, user_client, check, allowed):
    verb, resource, group = check
    answers = tuple(
        may(user_client(f"berth-{process}"), verb, resource, group)
        for process in ("web", "actions", "builds")
    )
    assert answers == allowed
