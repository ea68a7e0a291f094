"""The exec protocol's pure parts: how a command ended, and who the cluster is told asks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

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


def _configuration(token: str = "") -> SimpleNamespace:
    return SimpleNamespace(get_api_key_with_prefix=lambda key: token if key == "authorization" else "")


def test_the_person_and_each_of_their_groups_are_impersonated():
    headers = _headers(_configuration("Bearer t0k"), make_identity("alice", ["developers", "qa"]))
    assert headers == [
        ("Authorization", "Bearer t0k"),
        ("Impersonate-User", "alice"),
        ("Impersonate-Group", "developers"),
        ("Impersonate-Group", "qa"),
    ]


def test_berths_own_identity_impersonates_nobody():
    assert _headers(_configuration(), system_identity()) == []
