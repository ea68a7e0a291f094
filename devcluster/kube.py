"""Kubeconfig files and API clients for the devcluster (admin, per identity, impersonating)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client

from devcluster.pki import PKI

CLUSTER_NAME = "berth-devcluster"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_dict(
    server: str, pki: PKI, user: str, *, cert: str | None = None, token: str | None = None
) -> dict[str, Any]:
    """A kubeconfig with everything embedded, so it can be copied elsewhere and still work."""
    if (cert is None) == (token is None):
        raise ValueError("give exactly one of cert or token")
    credentials: dict[str, str]
    if cert is not None:
        pair = pki.pair(cert)
        credentials = {"client-certificate-data": _b64(pair.cert), "client-key-data": _b64(pair.key)}
    else:
        credentials = {"token": token or ""}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": server, "certificate-authority-data": _b64(pki.ca.cert)},
            }
        ],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": f"{user}@{CLUSTER_NAME}", "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": f"{user}@{CLUSTER_NAME}",
        "preferences": {},
    }


def write_kubeconfig(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)  # atomic: a reader never sees half a kubeconfig
    return path


def _configuration(server: str, pki: PKI) -> client.Configuration:
    conf = client.Configuration()
    conf.host = server
    conf.ssl_ca_cert = str(pki.ca.cert)
    conf.verify_ssl = True
    # Never let an environment proxy see loopback traffic.
    conf.proxy = None
    return conf


def admin_client(server: str, pki: PKI) -> client.ApiClient:
    """Cluster admin by client certificate (O=system:masters)."""
    conf = _configuration(server, pki)
    conf.cert_file = str(pki.pair("admin").cert)
    conf.key_file = str(pki.pair("admin").key)
    return client.ApiClient(conf)


def token_client(server: str, pki: PKI, token: str) -> client.ApiClient:
    """A client that authenticates with a bearer token from the static token file."""
    conf = _configuration(server, pki)
    # kubernetes-client 36 reads the token under "BearerToken" and applies the prefix
    # only under that name: a prefix set under the old "authorization" key is ignored
    # and the token is sent without "Bearer ", which makes the request anonymous.
    conf.api_key = {"BearerToken": token}
    conf.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(conf)


class ImpersonatingApiClient(client.ApiClient):
    """An ApiClient that sends Impersonate-User and one Impersonate-Group header per group.

    The generated client keeps headers in a plain dict, which cannot repeat a header;
    a comma-joined value would be read by the apiserver as a single group named
    "a,b". So the headers are added here, as a urllib3 HTTPHeaderDict, which urllib3
    sends as repeated header lines.
    """

    def __init__(self, configuration: client.Configuration, user: str, groups: Iterable[str] = ()) -> None:
        super().__init__(configuration)
        self.impersonate_user = user
        self.impersonate_groups = tuple(groups)

    def request(
        self, method: str, url: str, query_params: Any = None, headers: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        merged = urllib3.HTTPHeaderDict(headers or {})
        merged["Impersonate-User"] = self.impersonate_user
        merged.discard("Impersonate-Group")
        for group in self.impersonate_groups:
            merged.add("Impersonate-Group", group)
        return super().request(method, url, query_params, merged, *args, **kwargs)


def impersonating_client(
    server: str, pki: PKI, user: str, groups: Iterable[str] = ()
) -> ImpersonatingApiClient:
    """The admin certificate, impersonating `user` with `groups` (as Berth will do)."""
    conf = _configuration(server, pki)
    conf.cert_file = str(pki.pair("admin").cert)
    conf.key_file = str(pki.pair("admin").key)
    return ImpersonatingApiClient(conf, user, groups)
