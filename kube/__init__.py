"""The gateway to Kubernetes: the only package that imports ``kubernetes``.

Everything a view, consumer or task asks of the cluster goes through here, as
the person it acts for (impersonation), with a timeout, and with the client's
errors turned into :mod:`kube.errors`.
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
