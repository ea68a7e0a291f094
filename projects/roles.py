"""The project roles, strongest first: the one home of their order."""

from __future__ import annotations

from collections.abc import Iterable

ROLES = ("admin", "edit", "view")  # the ClusterRoles a member is bound to


def strongest(roles: Iterable[str]) -> str | None:
    """The strongest of ``roles`` (None when there is none)."""
    held = set(roles)
    return next((role for role in ROLES if role in held), None)


def role_at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` includes ``needed`` (admin ⊇ edit ⊇ view)."""
    if role not in ROLES:
        return False
    return ROLES.index(role) <= ROLES.index(needed)
