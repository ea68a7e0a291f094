"""Writes on projects and members. Each is an action: validated here, done by a task."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from actions.models import Action
from actions.refusal import Refused
from actions.services import action_start
from kube import identity_for_user
from projects import cluster as cluster_projects
from projects.roles import role_at_least

CUSTOM_QUOTA_REFUSED = (
    "A custom quota is for cluster administrators (whom the cluster lets create ResourceQuotas "
    "in every namespace). Choose one of the sizes, or ask an administrator."
)


def _preset(quota: dict[str, str]) -> bool:
    """Whether ``quota`` is one of the sizes anyone may choose (BERTH_QUOTA_PRESETS)."""
    return any(
        all(str(preset[key]) == str(value) for key, value in quota.items())
        for preset in settings.BERTH_QUOTA_PRESETS.values()
    )


def project_create(*, user, name: str, display_name: str, description: str, quota: dict[str, str]) -> Action:
    """Refused when the person has asked for ``BERTH_MAX_PROJECTS_PER_PERSON`` projects already
    (projects still being created count, as actions not finished), and for a quota other than
    the presets unless the cluster says the person may set any quota."""
    if not _preset(quota) and not cluster_projects.may_choose_any_quota(identity_for_user(user)):
        raise Refused(field="quota", message=CUSTOM_QUOTA_REFUSED)
    limit = settings.BERTH_MAX_PROJECTS_PER_PERSON
    pending = Action.objects.filter(
        kind="project.create", requested_by=user, finished_at__isnull=True
    ).count()
    if cluster_projects.projects_requested_by(user.get_username()) + pending >= limit:
        raise Refused(
            field="name",
            message=f"You have asked for {limit} projects, the most one person may "
            f"(BERTH_MAX_PROJECTS_PER_PERSON). Delete one, or ask an administrator.",
        )
    return action_start(
        kind="project.create",
        user=user,
        project=name,
        target=f"project/{name}",
        parameters={
            "name": name,
            "display_name": display_name,
            "description": description,
            "quota": quota,
            "next": reverse("projects:detail", kwargs={"name": name}),
        },
    )


def project_delete(*, user, project) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise Refused("Only a project admin can delete the project.")
    return action_start(
        kind="project.delete",
        user=user,
        project=project.name,
        target=f"project/{project.name}",
        parameters={"next": reverse("projects:list")},
    )


def _admins_left(members, *, kind: str, name: str, new_role: str | None) -> int:
    remaining = 0
    for member in members:
        role = new_role if (member.kind, member.name) == (kind, name) else member.role
        if role == "admin":
            remaining += 1
    return remaining


def check_last_admin(*, members, kind: str, name: str, new_role: str | None) -> None:
    """Refuse to remove or demote the last admin: nobody could manage the project after."""
    is_admin = any(m.kind == kind and m.name == name and m.role == "admin" for m in members)
    if is_admin and _admins_left(members, kind=kind, name=name, new_role=new_role) == 0:
        raise Refused(f"{name} is the last admin of this project. Make someone else an admin first.")


def _members_url(project) -> str:
    return reverse("projects:members", kwargs={"name": project.name})


def member_set(*, user, project, kind: str, name: str, role: str) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise Refused("Only a project admin can change members.")
    check_last_admin(members=project.members, kind=kind, name=name, new_role=role)
    return action_start(
        kind="member.set",
        user=user,
        project=project.name,
        target=f"{kind.lower()}/{name}",
        parameters={"kind": kind, "name": name, "role": role, "next": _members_url(project)},
    )


def member_remove(*, user, project, kind: str, name: str) -> Action:
    if not role_at_least(project.my_role, "admin"):
        raise Refused("Only a project admin can change members.")
    if not any(m.kind == kind and m.name == name for m in project.members):
        raise Refused(f"{name} is not a member of this project.")
    check_last_admin(members=project.members, kind=kind, name=name, new_role=None)
    return action_start(
        kind="member.remove",
        user=user,
        project=project.name,
        target=f"{kind.lower()}/{name}",
        parameters={"kind": kind, "name": name, "next": _members_url(project)},
    )
