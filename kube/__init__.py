"""The thin client to Kubernetes.

Identities and impersonation, per-identity clients, a timeout on every call,
the client's errors turned into Berth's (:mod:`kube.errors`), the shared watch
cache (:mod:`kube.informer`), the log line reader (:mod:`kube.streams`) and
"is this API group served". No domain rules: each domain's ``cluster.py`` builds
its objects and calls this. Only this package and those modules import
``kubernetes`` (ruff's banned-api rule).
"""

from kube.client import (
    Identity,
    cluster_health,
    identity_for_user,
    system_identity,
)
from kube.errors import (
    ClusterError,
    Conflict,
    Forbidden,
    ImpersonationRefused,
    Invalid,
    NotFound,
    Unavailable,
)

__all__ = [
    "ClusterError",
    "Conflict",
    "Forbidden",
    "Identity",
    "ImpersonationRefused",
    "Invalid",
    "NotFound",
    "Unavailable",
    "cluster_health",
    "identity_for_user",
    "system_identity",
]
