"""Berth's own cluster errors. Nothing outside kube/ sees ApiException."""

from __future__ import annotations


class ClusterError(Exception):
    """Base of every error the client raises; ``str()`` is fit to show a person."""


class NotFound(ClusterError):
    pass


class Forbidden(ClusterError):
    pass


class Conflict(ClusterError):
    """The object exists already, or changed since it was read."""


class Invalid(ClusterError):
    """The cluster refused the object; ``fields`` maps field paths to messages."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class Unavailable(ClusterError):
    """The cluster could not be reached or did not answer in time."""


class ImpersonationRefused(ClusterError):
    """Names reserved by Kubernetes (``system:``) are never impersonated."""
