"""The exec protocol's pure parts: how a command ended, and who the cluster is told asks."""

from __future__ import annotations

import json

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from kube.client import make_identity, system_identity
from kube.exec import Ended, _ended, _headers


@pytest.mark.parametrize(
    ("status", "ended"),
    [
        ({"status": "Success"}, Ended(0)),
        (
            {
                "status": "Failure",
                "message": "command terminated with non-zero exit code",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
            },
            Ended(3, "command terminated with non-zero exit code"),
        ),
        (
            {"status": "Failure", "message": 'container "app" not found in pod "web"'},
            Ended(None, 'container "app" not found in pod "web"'),
        ),
        (
            {"status": "Failure", "details": {"causes": [{"reason": "ExitCode", "message": "x"}]}},
            Ended(None, "the command ended"),
        ),
    ],
)
def test_how_a_command_ended(status, ended):
    assert _ended(status) == ended


def _configuration(tmp_path, token: str = ""):
    """The client's own configuration, loaded from a kubeconfig as Berth loads it."""
    user = {"token": token} if token else {}
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(kubeconfig))
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=str(path), client_configuration=configuration)
    return configuration


def test_the_person_and_each_of_their_groups_are_impersonated(tmp_path):
    headers = _headers(_configuration(tmp_path, "t0k"), make_identity("alice", ["developers", "qa"]))
    assert headers == [
        ("Authorization", "Bearer t0k"),
        ("Impersonate-User", "alice"),
        ("Impersonate-Group", "developers"),
        ("Impersonate-Group", "qa"),
    ]


def test_berths_own_identity_impersonates_nobody(tmp_path):
    assert _headers(_configuration(tmp_path), system_identity()) == []
