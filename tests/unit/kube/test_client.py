"""The thin client's own rules, without a cluster: headers, redirects, path names, errors."""

from __future__ import annotations

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from kube import Identity, NotFound, Unavailable
from kube.client import _Pool, call, translate, translated


class RecordingPool:
    def __init__(self):
        self.calls = []

    def request(self, method, url, headers=None, **kwargs):
        self.calls.append((method, url, headers, kwargs))
        return "response"


def test_every_request_impersonates_and_never_follows_a_redirect():
    recorded = RecordingPool()
    pool = _Pool(recorded, Identity(user="alice", groups=("developers", "qa")))
    pool.request("GET", "https://api/x", headers={"Accept": "application/json"}, redirect=True)
    (_, _, headers, kwargs) = recorded.calls[0]
    assert headers.getlist("Impersonate-User") == ["alice"]
    assert headers.getlist("Impersonate-Group") == ["developers", "qa"]  # one header a group
    assert headers["Accept"] == "application/json"
    assert kwargs["redirect"] is False


def test_berths_own_identity_impersonates_nobody_and_follows_no_redirect_either():
    recorded = RecordingPool()
    _Pool(recorded, Identity(user=None)).request("DELETE", "https://api/x")
    (_, _, headers, kwargs) = recorded.calls[0]
    assert "Impersonate-User" not in headers and kwargs["redirect"] is False


def test_a_redirect_is_not_found_and_other_statuses_keep_their_meaning():
    assert isinstance(translate(ApiException(status=301, reason="Moved Permanently")), NotFound)
    assert isinstance(translate(ApiException(status=404, reason="Not Found")), NotFound)
    assert isinstance(translate(ApiException(status=502, reason="Bad Gateway")), Unavailable)


@pytest.mark.parametrize("name", [".", "..", "a/b", "../default"])
def test_names_that_a_path_would_normalise_are_refused_before_any_request(name):
    def never(*args, **kwargs):
        raise AssertionError("no request may be made")

    with pytest.raises(NotFound):
        call(never, name, "default")
    with pytest.raises(NotFound):
        call(never, name="ok", namespace=name)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            urllib3.exceptions.MaxRetryError(
                None, "/api", urllib3.exceptions.NewConnectionError(None, "refused")
            ),
            "nothing answers at its address",
        ),
        (urllib3.exceptions.MaxRetryError(None, "/api", urllib3.exceptions.SSLError("bad")), "TLS"),
        (urllib3.exceptions.ReadTimeoutError(None, "/api", "slow"), "did not answer in time"),
        (urllib3.exceptions.ProtocolError("reset"), "broke off"),
        (ConnectionRefusedError(), "nothing answers at its address"),
    ],
)
def test_an_unreachable_cluster_is_said_in_words_not_the_clients_class_names(error, words):
    with pytest.raises(Unavailable) as raised, translated():
        raise error
    assert str(raised.value).startswith("The cluster could not be reached: ")
    assert words in str(raised.value) and "Error" not in str(raised.value)
