"""Projects on the cluster: namespaces with Berth's label, members as RoleBindings,
quotas as a ResourceQuota and a LimitRange.

Reading *which* projects someone belongs to is the project index: Berth's own
identity lists namespaces and RoleBindings, and the result is filtered to the
person. Everything else a person does inside a project is done as that person.
Creating and deleting the Namespace itself (cluster-scoped, so beyond a
namespace admin's reach) is done by Berth after the cluster has said, through a
SubjectAccessReview as the person, that they may.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass, field, replace

from kubernetes import client as k8s

from kube.client import (
    MANAGED_BY,
    Identity,
    api,
    api_group_served,
    call,
    can_i,
    parse_time,
    system_identity,
)
from kube.errors import Conflict, Forbidden, NotFound, Unavailable
from kube.informer import EVERYWHERE, Informer, Kind, informer_for
from kube.quantity import parse_quantity
from projects.roles import ROLES, strongest

PROJECT_LABEL = "berth.io/project"
DISPLAY_NAME = "openshift.io/display-name"
DESCRIPTION = "openshift.io/description"
REQUESTER = "openshift.io/requester"
ACTION_ANNOTATION = "berth.io/created-by-action"
QUOTA_NAME = "berth-quota"
LIMITS_NAME = "berth-limits"
MEMBER_BINDING_PREFIX = "berth-member-"


@dataclass(frozen=True)
class Member:
    kind: str  # "User" or "Group"
    name: str
    role: str
    bindings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass
class Project:
    name: str
    display_name: str
    description: str
    requester: str
    status: str  # Active or Terminating
    created: object = None
    members: list[Member] = field(default_factory=list)
    my_role: str | None = None
    quota_summary: str = ""
    uid: str = ""
    created_by_action: int | None = None  # the Berth action that created the namespace

    @property
    def title(self) -> str:
        return self.display_name or self.name


def _as_json(model) -> dict:
    """A client model as the API serves it (camelCase keys), like the caches' items."""
    return api(system_identity(), "core").api_client.sanitize_for_serialization(model)


def _project_from(item: dict) -> Project:
    """A project namespace, from the API's JSON."""
    meta = item.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    action = annotations.get(ACTION_ANNOTATION, "")
    return Project(
        name=meta["name"],
        display_name=annotations.get(DISPLAY_NAME, ""),
        description=annotations.get(DESCRIPTION, ""),
        requester=annotations.get(REQUESTER, ""),
        status=(item.get("status") or {}).get("phase") or "Active",
        created=parse_time(meta.get("creationTimestamp")),
        uid=meta.get("uid") or "",
        created_by_action=int(action) if action.isdigit() else None,
    )


@dataclass(frozen=True)
class Grant:
    """A RoleBinding to one of the project roles, reduced to what membership needs."""

    namespace: str
    binding: str
    role: str
    subjects: tuple[tuple[str, str], ...]  # (kind, name) of its users and groups


def _grant_from(item: dict) -> Grant | None:
    """The grant a RoleBinding (API JSON) makes; None unless it binds admin, edit or view."""
    ref = item.get("roleRef") or {}
    if ref.get("kind") != "ClusterRole" or ref.get("name") not in ROLES:
        return None
    subjects = tuple(
        (s["kind"], s["name"]) for s in item.get("subjects") or [] if s.get("kind") in ("User", "Group")
    )
    meta = item["metadata"]
    return Grant(namespace=meta["namespace"], binding=meta["name"], role=ref["name"], subjects=subjects)


def _members_by_namespace(grants) -> dict[str, list[Member]]:
    """Group grants into members, one per subject, strongest role."""
    found: dict[str, dict[tuple[str, str], dict]] = {}
    for grant in grants:
        if grant is None:
            continue
        per_ns = found.setdefault(grant.namespace, {})
        for subject in grant.subjects:
            entry = per_ns.setdefault(subject, {"roles": set(), "bindings": []})
            entry["roles"].add(grant.role)
            entry["bindings"].append(grant.binding)
    return {
        ns: sorted(
            (
                Member(kind=k, name=n, role=strongest(e["roles"]), bindings=tuple(sorted(e["bindings"])))
                for (k, n), e in subjects.items()
            ),
            key=lambda m: (ROLES.index(m.role), m.kind, m.name),
        )
        for ns, subjects in found.items()
    }


def role_of(identity: Identity, members: list[Member]) -> str | None:
    roles = {
        m.role
        for m in members
        if (m.kind == "User" and m.name == identity.user) or (m.kind == "Group" and m.name in identity.groups)
    }
    return strongest(roles)


# The project index: three caches shared by the process (kube.informer), kept by watches.
PROJECTS = Kind("projects", "core", "list_namespace", everywhere=True, label_selector=f"{PROJECT_LABEL}=true")
GRANTS = Kind("project-grants", "rbac", "list_role_binding_for_all_namespaces", everywhere=True)
QUOTAS = Kind(
    "project-quotas",
    "core",
    "list_resource_quota_for_all_namespaces",
    everywhere=True,
    field_selector=f"metadata.name={QUOTA_NAME}",
)
INDEX_SYNC_SECONDS = 30.0


@dataclass(frozen=True)
class _Membership:
    """Every project's members, and which namespaces each subject is in: derived from the
    grants cache, kept while its generation stays."""

    generation: int  # the grants cache's, which no other cache shares
    members: dict[str, list[Member]]
    namespaces_of: dict[tuple[str, str], frozenset[str]]


_membership: _Membership | None = None
_membership_lock = threading.Lock()


def _index_caches() -> tuple[Informer, Informer, Informer]:
    caches = (
        informer_for(EVERYWHERE, PROJECTS, _project_from),
        informer_for(EVERYWHERE, GRANTS, _grant_from),
        informer_for(EVERYWHERE, QUOTAS, lambda item: _quota_summary(item.get("status"))),
    )
    for cache in caches:
        if not cache.wait_listed(INDEX_SYNC_SECONDS):
            raise Unavailable("The list of projects could not be read from the cluster.")
    return caches


def _membership_of(grants: Informer) -> _Membership:
    global _membership
    with _membership_lock:
        kept = _membership
        if kept is not None and kept.generation == grants.generation:
            return kept

        def derive(objects: dict[str, Grant | None]) -> tuple[dict, dict]:
            members = _members_by_namespace(objects.values())
            namespaces_of: dict[tuple[str, str], set[str]] = {}
            for namespace, people in members.items():
                for member in people:
                    namespaces_of.setdefault((member.kind, member.name), set()).add(namespace)
            return members, {subject: frozenset(found) for subject, found in namespaces_of.items()}

        generation, (members, namespaces_of) = grants.read(derive)
        _membership = _Membership(generation, members, namespaces_of)
        return _membership


def project_index(identity: Identity) -> list[Project]:
    """Every Berth project in which ``identity`` has a role, with that role.

    Served from caches the process shares (project namespaces, RoleBindings — roles
    granted outside Berth count too — and Berth's quotas), each one LIST then a watch:
    a page view costs the person's own projects, not a round trip. Changes show once
    the watch has them (milliseconds); access to a project itself is checked on each
    request (:func:`project_get`).
    """
    namespaces, grants, quotas = _index_caches()
    membership = _membership_of(grants)
    mine: set[str] = set(membership.namespaces_of.get(("User", identity.user), ()))
    for group in identity.groups:
        mine |= membership.namespaces_of.get(("Group", group), frozenset())
    projects = []
    for name in mine:
        found = namespaces.get(name)
        if found is None:
            continue
        members = membership.members.get(name, [])
        projects.append(
            replace(
                found,
                members=members,
                my_role=role_of(identity, members),
                quota_summary=quotas.get(f"{name}/{QUOTA_NAME}") or "",
            )
        )
    return sorted(projects, key=lambda p: p.name)


def _quota_summary(status: dict | None) -> str:
    """A ResourceQuota's status (API JSON) as "2/10 pods, 500m/2 CPU, …"."""
    if not status or not status.get("hard"):
        return ""
    hard, used = status["hard"], status.get("used") or {}
    parts = [
        f"{used.get(key, '0')}/{hard[key]} {label}"
        for key, label in (("pods", "pods"), ("limits.cpu", "CPU"), ("limits.memory", "memory"))
        if key in hard
    ]
    return ", ".join(parts)


def project_get(identity: Identity, name: str) -> Project:
    """One project, if ``identity`` has a role in it; NotFound otherwise (never Forbidden:
    a person without a role does not learn that it exists). Read from the cluster, not
    the index's caches: this is the access check of every project page."""
    system = system_identity()
    try:
        ns = call(api(system, "core").read_namespace, name)
    except NotFound:
        raise NotFound(f"No project named {name!r}.") from None
    if (ns.metadata.labels or {}).get(PROJECT_LABEL) != "true":
        raise NotFound(f"No project named {name!r}.")
    bindings = call(api(system, "rbac").list_namespaced_role_binding, name).items
    project = _project_from(_as_json(ns))
    project.members = _members_by_namespace(_grant_from(_as_json(b)) for b in bindings).get(name, [])
    project.my_role = role_of(identity, project.members)
    if project.my_role is None:
        raise NotFound(f"No project named {name!r}.")
    return project


def projects_requested_by(username: str) -> int:
    """How many projects this person asked for that still exist (OpenShift's requester
    annotation; not those being deleted), read with Berth's identity: the person may no
    longer see all of them."""
    namespaces = call(
        api(system_identity(), "core").list_namespace, label_selector=f"{PROJECT_LABEL}=true"
    ).items
    return sum(
        1
        for ns in namespaces
        if (ns.metadata.annotations or {}).get(REQUESTER) == username and not ns.metadata.deletion_timestamp
    )


def project_namespace(name: str) -> Project | None:
    """The project's namespace as Berth's identity reads it (no members, no role), for
    callers that act for no person (webhooks); None when there is no such project."""
    try:
        ns = call(api(system_identity(), "core").read_namespace, name)
    except NotFound:
        return None
    if (ns.metadata.labels or {}).get(PROJECT_LABEL) != "true" or ns.metadata.deletion_timestamp:
        return None
    return _project_from(_as_json(ns))


def may_choose_any_quota(identity: Identity) -> bool:
    """Whether the person is a cluster administrator for quotas: the cluster lets them
    create ResourceQuotas in every namespace."""
    return can_i(identity, verb="create", resource="resourcequotas")


def namespace_exists(name: str) -> bool:
    try:
        call(api(system_identity(), "core").read_namespace, name)
    except NotFound:
        return False
    return True


def _quota_objects(name: str, quota: dict[str, str]) -> tuple[k8s.V1ResourceQuota, k8s.V1LimitRange]:
    labels = dict([MANAGED_BY])
    hard = {
        "requests.cpu": quota["cpu"],
        "limits.cpu": quota["cpu"],
        "requests.memory": quota["memory"],
        "limits.memory": quota["memory"],
        "pods": str(quota["pods"]),
        "persistentvolumeclaims": str(quota["pvcs"]),
        "requests.storage": quota["storage"],
    }
    resource_quota = k8s.V1ResourceQuota(
        metadata=k8s.V1ObjectMeta(name=QUOTA_NAME, namespace=name, labels=labels),
        spec=k8s.V1ResourceQuotaSpec(hard=hard),
    )
    # With a quota on cpu and memory every pod must state them: give sensible defaults.
    limit_range = k8s.V1LimitRange(
        metadata=k8s.V1ObjectMeta(name=LIMITS_NAME, namespace=name, labels=labels),
        spec=k8s.V1LimitRangeSpec(
            limits=[
                k8s.V1LimitRangeItem(
                    type="Container",
                    default={
                        "cpu": quota.get("default_cpu", "500m"),
                        "memory": quota.get("default_memory", "512Mi"),
                    },
                    default_request={
                        "cpu": quota.get("default_cpu_request", "100m"),
                        "memory": quota.get("default_memory_request", "128Mi"),
                    },
                )
            ]
        ),
    )
    return resource_quota, limit_range


def binding_name(kind: str, name: str, role: str) -> str:
    """A stable, valid RoleBinding name for a member made through Berth."""
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:30] or "x"
    digest = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:8]
    return f"{MEMBER_BINDING_PREFIX}{role}-{kind.lower()}-{slug}-{digest}"


def _role_binding(namespace: str, kind: str, name: str, role: str) -> k8s.V1RoleBinding:
    return k8s.V1RoleBinding(
        metadata=k8s.V1ObjectMeta(
            name=binding_name(kind, name, role), namespace=namespace, labels=dict([MANAGED_BY])
        ),
        role_ref=k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role),
        subjects=[k8s.RbacV1Subject(kind=kind, name=name, api_group="rbac.authorization.k8s.io")],
    )


def _create_or_keep(create, *args) -> None:
    with contextlib.suppress(Conflict):  # made by an earlier attempt of the same action
        call(create, *args)


def openshift_projects_available() -> bool:
    """Whether the cluster serves OpenShift's project API (then projects are requested there)."""
    return api_group_served("project.openshift.io")


def _openshift_project_request(identity: Identity, *, name: str, display_name: str, description: str) -> None:
    """On OpenShift the cluster makes the project (and its admin binding) from a ProjectRequest."""
    body = {
        "apiVersion": "project.openshift.io/v1",
        "kind": "ProjectRequest",
        "metadata": {"name": name},
        "displayName": display_name,
        "description": description,
    }
    try:
        call(
            api(identity, "custom").create_cluster_custom_object,
            "project.openshift.io",
            "v1",
            "projectrequests",
            body,
        )
    except Conflict:
        # An earlier attempt of this action made it, or someone else took the name since the
        # form: only the person's own request (OpenShift records the requester) is finished.
        existing = call(api(system_identity(), "core").read_namespace, name)
        if (existing.metadata.annotations or {}).get(REQUESTER) != identity.user:
            raise Conflict(f"The name {name!r} is already taken on this cluster.") from None
    # OpenShift's template does not carry Berth's label: add it so the index finds the project.
    patch = {"metadata": {"labels": {PROJECT_LABEL: "true"}}}
    call(api(system_identity(), "core").patch_namespace, name, patch)


def project_create(
    identity: Identity,
    *,
    name: str,
    display_name: str,
    description: str,
    quota: dict[str, str],
    action_id: int,
) -> None:
    """Create the project, or finish one that an earlier attempt of this action started."""
    if openshift_projects_available():
        _openshift_project_request(identity, name=name, display_name=display_name, description=description)
        resource_quota, limit_range = _quota_objects(name, quota)
        _create_or_keep(api(system_identity(), "core").create_namespaced_resource_quota, name, resource_quota)
        _create_or_keep(api(system_identity(), "core").create_namespaced_limit_range, name, limit_range)
        return
    if not can_i(identity, verb="create", resource="projectrequests", group="berth.io"):
        raise Forbidden("You are not allowed to create projects on this cluster.")
    system = system_identity()
    core = api(system, "core")
    namespace = k8s.V1Namespace(
        metadata=k8s.V1ObjectMeta(
            name=name,
            labels={PROJECT_LABEL: "true", MANAGED_BY[0]: MANAGED_BY[1]},
            annotations={
                DISPLAY_NAME: display_name,
                DESCRIPTION: description,
                REQUESTER: identity.user,
                ACTION_ANNOTATION: str(action_id),
            },
        )
    )
    try:
        call(core.create_namespace, namespace)
    except Conflict:
        existing = call(core.read_namespace, name)
        if (existing.metadata.annotations or {}).get(ACTION_ANNOTATION) != str(action_id):
            raise Conflict(f"The name {name!r} is already taken on this cluster.") from None
    rbac = api(system, "rbac")
    _create_or_keep(
        rbac.create_namespaced_role_binding, name, _role_binding(name, "User", identity.user, "admin")
    )
    resource_quota, limit_range = _quota_objects(name, quota)
    _create_or_keep(core.create_namespaced_resource_quota, name, resource_quota)
    _create_or_keep(core.create_namespaced_limit_range, name, limit_range)


def project_delete(identity: Identity, *, name: str) -> None:
    project = project_get(identity, name)
    if project.my_role != "admin":
        raise Forbidden("Only a project admin can delete the project.")
    with contextlib.suppress(NotFound):  # already gone: the wish is fulfilled
        call(api(system_identity(), "core").delete_namespace, name)


def _member(project: Project, kind: str, name: str) -> Member | None:
    return next((m for m in project.members if m.kind == kind and m.name == name), None)


def member_set(identity: Identity, *, project: Project, kind: str, name: str, role: str) -> None:
    """Give a user or group ``role`` (adding them, or changing their role), as the person.

    ``project`` is as the caller just read it (its members say which bindings to leave).
    """
    wanted = _role_binding(project.name, kind, name, role)
    with contextlib.suppress(Conflict):
        call(api(identity, "rbac").create_namespaced_role_binding, project.name, wanted)
    if member := _member(project, kind, name):
        _bindings_drop_subject(
            identity,
            project=project.name,
            kind=kind,
            name=name,
            keep={wanted.metadata.name},
            bindings=member.bindings,
        )


def member_remove(identity: Identity, *, project: Project, kind: str, name: str) -> None:
    if member := _member(project, kind, name):
        _bindings_drop_subject(
            identity, project=project.name, kind=kind, name=name, keep=set(), bindings=member.bindings
        )


def _bindings_drop_subject(
    identity: Identity, *, project: str, kind: str, name: str, keep: set[str], bindings: tuple[str, ...]
) -> None:
    """Take a subject out of RoleBindings, deleting those left empty (bindings made
    outside Berth may name several subjects: only this one goes)."""
    rbac = api(identity, "rbac")
    for binding_name_ in bindings:
        if binding_name_ in keep:
            continue
        try:
            binding = call(rbac.read_namespaced_role_binding, binding_name_, project)
        except NotFound:
            continue
        rest = [s for s in binding.subjects or [] if not (s.kind == kind and s.name == name)]
        if rest:
            binding.subjects = rest
            call(rbac.replace_namespaced_role_binding, binding_name_, project, binding)
        else:
            with contextlib.suppress(NotFound):
                call(rbac.delete_namespaced_role_binding, binding_name_, project)


@dataclass(frozen=True)
class QuotaUse:
    resource: str
    used: str
    hard: str
    percent: int


def quota_usage(identity: Identity, *, project: str) -> list[QuotaUse]:
    quotas = call(api(identity, "core").list_namespaced_resource_quota, project).items
    shown = ("limits.cpu", "limits.memory", "pods", "requests.storage", "persistentvolumeclaims")
    usage = []
    for quota in quotas:
        hard = (quota.status.hard if quota.status else None) or quota.spec.hard or {}
        used = (quota.status.used if quota.status else None) or {}
        for resource in shown:
            if resource not in hard:
                continue
            limit = parse_quantity(hard[resource])
            value = parse_quantity(used.get(resource, "0"))
            percent = int(min(100, (value / limit) * 100)) if limit else 0
            usage.append(
                QuotaUse(
                    resource=resource, used=used.get(resource, "0"), hard=hard[resource], percent=percent
                )
            )
    return usage


def project_counts(identity: Identity, *, project: str) -> dict[str, int | None]:
    """How many pods, deployments, build jobs and routes — as the person (None: not allowed)."""
    counts: dict[str, int | None] = {}
    readers = {
        "pods": (api(identity, "core").list_namespaced_pod, {}),
        "deployments": (api(identity, "apps").list_namespaced_deployment, {}),
        "routes": (api(identity, "networking").list_namespaced_ingress, {}),
        "builds": (api(identity, "batch").list_namespaced_job, {"label_selector": "berth.io/build"}),
    }
    for key, (read, options) in readers.items():
        try:
            result = call(read, project, limit=500, **options)
        except Forbidden:
            counts[key] = None
            continue
        remaining = result.metadata.remaining_item_count or 0
        counts[key] = len(result.items) + remaining
    return counts
