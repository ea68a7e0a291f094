"""On OpenShift a name taken between the form and the task is refused, not labelled and
given Berth's quota (a pure unit test: the cluster's answers are stand-ins)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kube.client import make_identity
from kube.errors import Conflict
from projects import cluster


def _cluster(monkeypatch, requester: str) -> list[str]:
    done: list[str] = []

    def call(function, *args, **kwargs):
        name = function.__name__
        if name == "create_cluster_custom_object":
            raise Conflict("exists")
        if name == "read_namespace":
            return SimpleNamespace(metadata=SimpleNamespace(annotations={cluster.REQUESTER: requester}))
        done.append(name)
        return None

    def api(identity, group):
        return SimpleNamespace(
            create_cluster_custom_object=_named("create_cluster_custom_object"),
            read_namespace=_named("read_namespace"),
            patch_namespace=_named("patch_namespace"),
        )

    monkeypatch.setattr(cluster, "call", call)
    monkeypatch.setattr(cluster, "api", api)
    monkeypatch.setattr(cluster, "system_identity", lambda: make_identity("berth"))
    return done


def _named(name: str):
    def function(*args, **kwargs):
        raise AssertionError("called through cluster.call only")

    function.__name__ = name
    return function


def request(identity) -> None:
    cluster._openshift_project_request(identity, name="shop", display_name="", description="")


def test_someone_elses_project_of_that_name_is_refused_and_left_alone(monkeypatch):
    done = _cluster(monkeypatch, requester="mallory")
    with pytest.raises(Conflict, match="already taken"):
        cluster._openshift_project_request(
            make_identity("alice"), name="shop", display_name="", description=""
        )
    assert done == []  # no label, so no quota follows


def test_the_persons_own_earlier_request_is_finished(monkeypatch):
    done = _cluster(monkeypatch, requester="alice")
    request(make_identity("alice"))
    assert done == ["patch_namespace"]
