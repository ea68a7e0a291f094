"""Project and member actions, run by the worker.

Each re-reads the project as the person who asked, so a role taken away after
queueing is honoured, and finishes what an earlier attempt left half-done.
"""

from __future__ import annotations

from actions import services as action_services
from actions.models import Action
from actions.refusal import Refused
from actions.tasks import ActionFailed, action_identity, action_task
from projects import cluster as cluster_projects
from projects import data, services


@action_task("project.create")
def project_create(action: Action) -> str:
    params = action.parameters
    action_services.action_update(action=action, progress=10, message="Creating the namespace")
    cluster_projects.project_create(
        action_identity(action),
        name=params["name"],
        display_name=params.get("display_name", ""),
        description=params.get("description", ""),
        quota=params["quota"],
        action_id=action.pk,
    )
    return f"Project {params['name']} is ready."


@action_task("project.delete")
def project_delete(action: Action) -> str:
    cluster_projects.project_delete(action_identity(action), name=action.project)
    # Its build configs (secrets, logs), images and audit trail go with it: a project made
    # later under the name is someone else's. This action stays, as the record of the deletion.
    data.purge(name=action.project, keep_action=action.pk)
    return f"Project {action.project} is being deleted."


def _member_change(action: Action, new_role: str | None) -> None:
    """Set (or, with no role, remove) a member, re-checking the last admin on fresh data."""
    identity = action_identity(action)
    kind, name = action.parameters["kind"], action.parameters["name"]
    project = cluster_projects.project_get(identity, action.project)
    try:
        services.check_last_admin(members=project.members, kind=kind, name=name, new_role=new_role)
    except Refused as exc:
        raise ActionFailed(str(exc)) from exc
    if new_role is None:
        cluster_projects.member_remove(identity, project=project, kind=kind, name=name)
    else:
        cluster_projects.member_set(identity, project=project, kind=kind, name=name, role=new_role)


@action_task("member.set")
def member_set(action: Action) -> str:
    _member_change(action, action.parameters["role"])
    return f"{action.parameters['name']} is now {action.parameters['role']}."


@action_task("member.remove")
def member_remove(action: Action) -> str:
    _member_change(action, None)
    return f"{action.parameters['name']} is no longer a member."
