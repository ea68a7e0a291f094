"""Pods and deployments: summaries for lists, details, logs, scaling and rollbacks."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kubernetes import client as k8s

from kube.client import MANAGED_BY, Identity, api, call, can_i, parse_time
from kube.errors import Conflict, Invalid, NotFound
from kube.exec import Session, exec_open
from kube.informer import informer_for
from kube.streams import pod_log_stream

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# What `kubectl rollout undo` keeps from the deployment instead of the revision.
ANNOTATIONS_TO_SKIP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}


@dataclass(slots=True)
class PodSummary:
    """What a pod list shows, kept small: thousands of these live in the cache.

    Repeated strings are interned and identical label sets shared (the pods of
    one ReplicaSet carry the same labels), which keeps a pod under 1 KB.
    """

    name: str
    status: str
    ready: str
    restarts: int
    created_ts: float | None
    node: str
    label_pairs: tuple[tuple[str, str], ...]
    owner: str
    phase: str
    why: str = ""  # what keeps it from running, in the cluster's words (pod_why)

    @property
    def created(self) -> datetime | None:
        return datetime.fromtimestamp(self.created_ts, UTC) if self.created_ts is not None else None

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.label_pairs)

    def matches(self, selector: dict[str, str]) -> bool:
        pairs = self.label_pairs
        return all((key, value) in pairs for key, value in selector.items())


_shared_labels: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


def _label_pairs(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    pairs = tuple(sorted((sys.intern(k), sys.intern(v)) for k, v in labels.items()))
    if len(_shared_labels) > 100_000:
        _shared_labels.clear()
    return _shared_labels.setdefault(pairs, pairs)


def pod_status(pod: dict) -> str:
    """The STATUS column of `kubectl get pods` (printPod), for a pod as a JSON dict."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for i, container in enumerate(init_statuses):
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len((pod.get('spec') or {}).get('initContainers') or [])}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = f"ExitCode:{terminated.get('exitCode')}"
            elif container.get("ready") and state.get("running"):
                has_running = True
        if reason == "Completed" and has_running:
            conditions = status.get("conditions") or []
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            reason = "Running" if ready else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def pod_summary(pod: dict) -> PodSummary:
    meta, status = pod["metadata"], pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    owners = meta.get("ownerReferences") or []
    created = parse_time(meta.get("creationTimestamp"))
    return PodSummary(
        name=meta["name"],
        status=sys.intern(pod_status(pod)),
        ready=sys.intern(f"{sum(1 for c in statuses if c.get('ready'))}/{len(containers)}"),
        restarts=sum(int(c.get("restartCount") or 0) for c in statuses),
        created_ts=created.timestamp() if created else None,
        node=sys.intern((pod.get("spec") or {}).get("nodeName") or ""),
        label_pairs=_label_pairs(meta.get("labels") or {}),
        owner=sys.intern(f"{owners[0]['kind']}/{owners[0]['name']}" if owners else ""),
        phase=sys.intern(status.get("phase") or ""),
        why=pod_why(pod),
    )


# OpenShift's image triggers on a Deployment: containers that follow an ImageStreamTag.
IMAGE_TRIGGERS = "image.openshift.io/triggers"
_FIELD_PATH = re.compile(
    r"^spec\.template\.spec\.(containers|initContainers)"
    r"(?:\[(\d+)\]|\[\?\(@\.name==[\"']([^\"']+)[\"']\)\])\.image$"
)


@dataclass(frozen=True)
class ImageTrigger:
    stream_tag: str  # e.g. web:latest
    container_kind: str  # containers or initContainers
    index: int | None
    container: str | None
    paused: bool


def image_triggers(annotations: dict | None) -> list[ImageTrigger]:
    """The well-formed triggers of a Deployment's ``image.openshift.io/triggers``."""
    try:
        triggers = json.loads((annotations or {}).get(IMAGE_TRIGGERS) or "[]")
    except ValueError:
        return []
    found = []
    for trigger in triggers if isinstance(triggers, list) else []:
        source = trigger.get("from") or {} if isinstance(trigger, dict) else {}
        match = _FIELD_PATH.match(str(trigger.get("fieldPath", ""))) if isinstance(trigger, dict) else None
        if source.get("kind") != "ImageStreamTag" or not source.get("name") or not match:
            continue
        kind, index, name = match.groups()
        found.append(
            ImageTrigger(
                stream_tag=str(source["name"]),
                container_kind=kind,
                index=int(index) if index is not None else None,
                container=name,
                paused=str(trigger.get("paused", "false")).lower() == "true",
            )
        )
    return found


@dataclass(slots=True)
class DeploymentSummary:
    name: str
    desired: int
    ready: int
    updated: int
    available: int
    images: tuple[str, ...]
    paused: bool
    selector: dict[str, str]
    revision: str
    created: datetime | None
    conditions: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    strategy: str = ""
    follows: tuple[str, ...] = ()  # the image stream tags it follows (unpaused triggers)
    template: str = ""  # its "template" label: the template that made it (catalog)


def deployment_summary(deployment: dict) -> DeploymentSummary:
    meta, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return DeploymentSummary(
        name=meta["name"],
        desired=int(spec.get("replicas", 1) or 0),
        ready=int(status.get("readyReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        images=tuple(c.get("image", "") for c in containers),
        paused=bool(spec.get("paused")),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        revision=(meta.get("annotations") or {}).get(REVISION, ""),
        created=parse_time(meta.get("creationTimestamp")),
        conditions=tuple(
            (c.get("type", ""), c.get("status", ""), c.get("message", ""))
            for c in status.get("conditions") or []
        ),
        strategy=(spec.get("strategy") or {}).get("type", ""),
        follows=tuple(t.stream_tag for t in image_triggers(meta.get("annotations")) if not t.paused),
        template=(meta.get("labels") or {}).get("template", ""),
    )


def pods_informer(namespace: str):
    return informer_for(namespace, "pods", pod_summary)


def deployments_informer(namespace: str):
    return informer_for(namespace, "deployments", deployment_summary)


# Access to the shared caches ------------------------------------------------

_access_cache: dict[tuple[Identity, str, str], tuple[float, bool]] = {}
_access_lock = threading.Lock()
ACCESS_TTL = 30.0


def can_list(identity: Identity, *, namespace: str, resource: str) -> bool:
    """May this person list ``resource`` in ``namespace``? Asked of the cluster, cached briefly."""
    key = (identity, namespace, resource)
    now = time.monotonic()
    with _access_lock:
        hit = _access_cache.get(key)
        if hit and now - hit[0] < ACCESS_TTL:
            return hit[1]
    group = "apps" if resource == "deployments" else ""
    allowed = can_i(identity, verb="list", resource=resource, namespace=namespace, group=group)
    with _access_lock:
        if len(_access_cache) > 10_000:
            _access_cache.clear()
        _access_cache[key] = (now, allowed)
    return allowed


# Pods ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerState:
    name: str
    image: str
    state: str  # "Running", "Waiting: <reason>", "Terminated: <reason>" or "—"
    restarts: int
    last_termination: str  # "<reason> (exit <code>)" or ""


@dataclass(frozen=True)
class PodDetail:
    """What the pod page shows: the list summary plus containers and conditions."""

    summary: PodSummary
    node: str
    containers: tuple[ContainerState, ...]
    conditions: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def container_names(self) -> list[str]:
        return [c.name for c in self.containers]

    @property
    def restarted(self) -> bool:
        return any(c.restarts for c in self.containers)


def _state_text(state: dict) -> str:
    if "running" in state:
        return "Running"
    for key in ("waiting", "terminated"):
        if key in state:
            return f"{key.capitalize()}: {state[key].get('reason') or ''}".rstrip()
    return "—"


def pod_detail(raw: dict) -> PodDetail:
    """A pod (as the API's JSON) for its page."""
    spec, status = raw.get("spec") or {}, raw.get("status") or {}
    statuses = {s["name"]: s for s in status.get("containerStatuses") or []}
    containers = []
    for container in spec.get("containers") or []:
        current = statuses.get(container["name"], {})
        last = (current.get("lastState") or {}).get("terminated")
        containers.append(
            ContainerState(
                name=container["name"],
                image=container.get("image", ""),
                state=_state_text(current.get("state") or {}),
                restarts=current.get("restartCount") or 0,
                last_termination=f"{last.get('reason') or ''} (exit {last.get('exitCode')})" if last else "",
            )
        )
    conditions = tuple(
        f"{c['type']}: {c['status']}" + (f" ({c['reason']})" if c.get("reason") else "")
        for c in status.get("conditions") or []
    )
    return PodDetail(
        summary=pod_summary(raw),
        node=spec.get("nodeName") or "",
        containers=tuple(containers),
        conditions=conditions,
    )


def pod_get(identity: Identity, *, namespace: str, name: str) -> PodDetail:
    """The pod, as the person."""
    core = api(identity, "core")
    pod = call(core.read_namespaced_pod, name, namespace)
    return pod_detail(core.api_client.sanitize_for_serialization(pod))


@dataclass(frozen=True)
class Event:
    type: str
    reason: str
    message: str
    count: int
    kind: str = ""  # what it is about (involvedObject)
    name: str = ""
    last_seen: datetime | None = None


# A project's events page shows at most this many (the newest; warnings first).
PROJECT_EVENTS_LIMIT = 500


def project_events(identity: Identity, *, namespace: str) -> list[Event]:
    """The namespace's events as the person: warnings first, then the newest first."""
    events = call(api(identity, "core").list_namespaced_event, namespace, limit=PROJECT_EVENTS_LIMIT).items
    rows = [
        Event(
            type=e.type or "",
            reason=e.reason or "",
            message=e.message or "",
            count=e.count or 1,
            kind=e.involved_object.kind or "",
            name=e.involved_object.name or "",
            last_seen=e.last_timestamp or e.event_time or e.metadata.creation_timestamp,
        )
        for e in events
    ]
    rows.sort(key=lambda e: e.last_seen.timestamp() if e.last_seen else 0, reverse=True)
    rows.sort(key=lambda e: e.type != "Warning")  # stable: warnings first, each newest first
    return rows


def events_for(identity: Identity, *, namespace: str, kind: str, name: str) -> list[Event]:
    """The events about one object, oldest first, as the person."""
    events = call(
        api(identity, "core").list_namespaced_event,
        namespace,
        field_selector=f"involvedObject.kind={kind},involvedObject.name={name}",
    ).items
    events.sort(key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
    return [
        Event(type=e.type or "", reason=e.reason or "", message=e.message or "", count=e.count or 1)
        for e in events
    ]


def pod_log(
    identity: Identity,
    *,
    namespace: str,
    name: str,
    container: str | None = None,
    previous: bool = False,
    tail_lines: int | None = 500,
    timestamps: bool = False,
    limit_bytes: int | None = None,
) -> str:
    # Read raw: the client would turn the bytes into "b'...'" (it str()s the body).
    response = call(
        api(identity, "core").read_namespaced_pod_log,
        name,
        namespace,
        container=container or None,
        previous=previous,
        tail_lines=tail_lines,
        timestamps=timestamps,
        limit_bytes=limit_bytes,
        _preload_content=False,
    )
    return response.data.decode("utf-8", "replace")


def pod_log_follow(
    identity: Identity,
    *,
    namespace: str,
    name: str,
    container: str | None = None,
    tail_lines: int | None = 500,
    timestamps: bool = False,
    on_open: Callable[[Callable[[], None]], None] | None = None,
) -> Iterator[str]:
    """Yield log lines as the pod writes them, as the person.

    ``on_open`` receives a function that closes the stream from another thread
    (a websocket that goes away must not leave a reader blocked for an hour).
    """
    stream = pod_log_stream(
        identity,
        namespace=namespace,
        pod=name,
        container=container,
        tail_lines=tail_lines,
        timestamps=timestamps,
    )
    if on_open is not None:
        on_open(stream.close)
    yield from stream


# Deployments --------------------------------------------------------------


def deployment_get(identity: Identity, *, namespace: str, name: str) -> k8s.V1Deployment:
    return call(api(identity, "apps").read_namespaced_deployment, name, namespace)


def deployment_create(
    identity: Identity,
    *,
    namespace: str,
    name: str,
    image: str,
    replicas: int,
    port: int | None,
    env: dict[str, str],
    command: list[str] | None = None,
    annotations: dict[str, str] | None = None,
    ready_when_listening: bool = False,
) -> None:
    """Create the Deployment as the person; an identical one (an earlier attempt) is kept.
    ``ready_when_listening``: a pod is ready once ``port`` accepts connections, so routes
    and rollouts wait for an app that migrates before it serves."""
    probe = None
    if ready_when_listening and port:
        probe = k8s.V1Probe(
            tcp_socket=k8s.V1TCPSocketAction(port=port), period_seconds=2, failure_threshold=3
        )
    container = k8s.V1Container(
        name=name,
        image=image,
        # The image's entrypoint (an init, a wrapper script) stays; the command replaces its CMD.
        args=list(command) if command else None,
        ports=[k8s.V1ContainerPort(container_port=port)] if port else None,
        env=[k8s.V1EnvVar(name=k, value=v) for k, v in env.items()] or None,
        readiness_probe=probe,
    )
    labels = {"app": name, MANAGED_BY[0]: MANAGED_BY[1]}
    body = k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name=name, labels=labels, annotations=annotations or None),
        spec=k8s.V1DeploymentSpec(
            replicas=replicas,
            selector=k8s.V1LabelSelector(match_labels={"app": name}),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels={"app": name}), spec=k8s.V1PodSpec(containers=[container])
            ),
        ),
    )
    try:
        call(api(identity, "apps").create_namespaced_deployment, namespace, body)
    except Conflict:
        existing = deployment_get(identity, namespace=namespace, name=name)
        if existing.spec.template.spec.containers[0].image != image:
            raise Conflict(f"A deployment named {name} exists already.") from None


def deployment_object(identity: Identity, *, namespace: str, name: str) -> dict:
    """The Deployment as the API gives it (camelCase keys), read as the person."""
    apps = api(identity, "apps")
    return apps.api_client.sanitize_for_serialization(call(apps.read_namespaced_deployment, name, namespace))


def deployment_replace(identity: Identity, *, namespace: str, body: dict) -> None:
    """Write ``body`` back as the person; its resourceVersion makes a change made since
    it was read a Conflict instead of a silent overwrite."""
    call(api(identity, "apps").replace_namespaced_deployment, body["metadata"]["name"], namespace, body)


def deployment_delete(identity: Identity, *, namespace: str, name: str) -> None:
    """Delete it with its ReplicaSets and pods (foreground: gone once they are)."""
    call(
        api(identity, "apps").delete_namespaced_deployment,
        name,
        namespace,
        body=k8s.V1DeleteOptions(propagation_policy="Foreground"),
    )


def deployment_scale(identity: Identity, *, namespace: str, name: str, replicas: int) -> None:
    call(
        api(identity, "apps").patch_namespaced_deployment_scale,
        name,
        namespace,
        {"spec": {"replicas": replicas}},
    )


def deployment_pause(identity: Identity, *, namespace: str, name: str, paused: bool) -> None:
    call(api(identity, "apps").patch_namespaced_deployment, name, namespace, {"spec": {"paused": paused}})


def deployment_annotate(identity: Identity, *, namespace: str, name: str, annotations: dict) -> None:
    """Set the deployment's own annotations (None removes one): no rollout."""
    call(
        api(identity, "apps").patch_namespaced_deployment,
        name,
        namespace,
        {"metadata": {"annotations": annotations}},
    )


def deployment_restart(identity: Identity, *, namespace: str, name: str, paused: bool = False) -> None:
    """Restart its pods as ``kubectl rollout restart`` does; ``paused``: the new template
    waits for a release (workloads.hooks)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch: dict = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
    if paused:
        patch["spec"]["paused"] = True
    call(api(identity, "apps").patch_namespaced_deployment, name, namespace, patch)


@dataclass(frozen=True)
class Revision:
    number: int
    replica_set: str
    change_cause: str
    images: tuple[str, ...]
    created: datetime | None
    current: bool
    template: dict
    annotations: dict[str, str] = field(default_factory=dict, compare=False)


def _revisions(apps, deployment: k8s.V1Deployment) -> list[Revision]:
    """The deployment's revisions, newest first, from the ReplicaSets it owns (one LIST)."""
    selector = ",".join(f"{k}={v}" for k, v in (deployment.spec.selector.match_labels or {}).items())
    replica_sets = call(
        apps.list_namespaced_replica_set, deployment.metadata.namespace, label_selector=selector
    )
    current = (deployment.metadata.annotations or {}).get(REVISION, "")
    sanitize = apps.api_client.sanitize_for_serialization
    revisions = []
    for rs in replica_sets.items:
        if not any(ref.uid == deployment.metadata.uid for ref in rs.metadata.owner_references or []):
            continue
        annotations = rs.metadata.annotations or {}
        try:
            number = int(annotations.get(REVISION, "0"))
        except ValueError:
            continue
        revisions.append(
            Revision(
                number=number,
                replica_set=rs.metadata.name,
                change_cause=annotations.get(CHANGE_CAUSE, ""),
                images=tuple(c.image for c in rs.spec.template.spec.containers),
                created=rs.metadata.creation_timestamp,
                current=str(number) == current,
                template=sanitize(rs.spec.template),
                annotations=annotations,
            )
        )
    return sorted(revisions, key=lambda r: r.number, reverse=True)


def deployment_history(identity: Identity, *, namespace: str, name: str) -> list[Revision]:
    apps = api(identity, "apps")
    return _revisions(apps, call(apps.read_namespaced_deployment, name, namespace))


def _template_without_hash(template: dict) -> dict:
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return template


def _rollback_target(apps, deployment: k8s.V1Deployment, revision: int) -> tuple[dict, Revision]:
    """The current pod template and the revision to go back to, refusing what kubectl refuses."""
    name = deployment.metadata.name
    if deployment.spec.paused:
        raise Invalid(
            f"{name} is paused: a paused deployment cannot be rolled back. Resume it first, then roll back."
        )
    target = next((r for r in _revisions(apps, deployment) if r.number == revision), None)
    if target is None:
        raise NotFound(f"Revision {revision} of {name} no longer exists (its ReplicaSet is gone).")
    current = apps.api_client.sanitize_for_serialization(deployment.spec.template)
    return _template_without_hash(current), target


def deployment_rollback_plan(
    identity: Identity, *, namespace: str, name: str, revision: int
) -> tuple[dict, dict]:
    """The (current, target) pod templates of a rollback, for a preview."""
    apps = api(identity, "apps")
    current, target = _rollback_target(apps, call(apps.read_namespaced_deployment, name, namespace), revision)
    return current, _template_without_hash(target.template)


def template_digest(template: dict) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()


def deployment_rollback(
    identity: Identity,
    *,
    namespace: str,
    name: str,
    revision: int,
    target_digest: str = "",
    remember: Callable[[str], None] | None = None,
) -> str:
    """What `kubectl rollout undo --to-revision` does: one read, one LIST, one patch.

    Rolling back turns the revision into the newest one (its number goes). ``remember``
    is told the target template's digest before the patch; a later attempt given it as
    ``target_digest`` (the worker died after the patch) sees the rollback done.
    """
    apps = api(identity, "apps")
    deployment = call(apps.read_namespaced_deployment, name, namespace)
    try:
        current, target = _rollback_target(apps, deployment, revision)
    except NotFound:
        now = _template_without_hash(apps.api_client.sanitize_for_serialization(deployment.spec.template))
        if target_digest and template_digest(now) == target_digest:
            return f"Skipped: {name} already runs revision {revision}'s template (rolled back before)."
        raise
    template = _template_without_hash(target.template)
    if current == template:
        return f"Skipped: {name} already runs revision {revision}'s template."
    if remember is not None:
        remember(template_digest(template))
    annotations = {
        k: v for k, v in (deployment.metadata.annotations or {}).items() if k in ANNOTATIONS_TO_SKIP
    }
    annotations.update({k: v for k, v in target.annotations.items() if k not in ANNOTATIONS_TO_SKIP})
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    call(apps.patch_namespaced_deployment, name, namespace, patch)
    return f"Rolled {name} back to revision {revision}."


# Rollouts: an action is done when what it promised runs -------------------------

# Waiting reasons the kubelet keeps retrying but that need a person: a rollout fails on them.
POD_FAILURES = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "CrashLoopBackOff",
    }
)
ROLLOUT_POLL_SECONDS = 2.0
# A problem must be seen this many polls in a row: the controllers clear an old
# condition (a quota since raised) a moment after the change.
ROLLOUT_PROBLEM_POLLS = 3


@dataclass(frozen=True)
class Rollout:
    desired: int
    ready: int  # pods of the current template that are available
    done: bool
    problem: str = ""  # the cluster's reason the rollout can't finish, in its words
    timed_out: bool = False

    @property
    def text(self) -> str:
        return f"{self.ready} of {self.desired} pod{'' if self.desired == 1 else 's'} ready"

    @property
    def percent(self) -> int:
        return 100 if self.done or not self.desired else int(100 * self.ready / self.desired)


def pod_why(pod: dict) -> str:
    """What keeps a pod from running, in the cluster's words: the scheduler's reason, or a
    container's that the kubelet keeps retrying (an image pull, a crash loop); else ""."""
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "Unschedulable":
            return f"can't be scheduled: {condition.get('message', '')}".rstrip(": ")
    for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in POD_FAILURES:
            message = waiting.get("message", "")
            return waiting["reason"] + (f": {message}" if message else "")
    return ""


def _pod_problem(pod: dict) -> str:
    why = pod_why(pod)
    return f"pod {pod['metadata']['name']}: {why}" if why else ""


def rollout_state(deployment: dict, pods: list[dict]) -> Rollout:
    """How far a Deployment's rollout is (``kubectl rollout status``'s test), and what
    stops it: a ReplicaSet the cluster refused pods (a quota), a progress deadline, or
    ``pods`` (the new ones) that can't pull, start or be scheduled."""
    metadata, spec = deployment.get("metadata") or {}, deployment.get("spec") or {}
    status = deployment.get("status") or {}
    desired = spec["replicas"] if spec.get("replicas") is not None else 1
    observed = (status.get("observedGeneration") or 0) >= (metadata.get("generation") or 0)
    updated, available = status.get("updatedReplicas") or 0, status.get("availableReplicas") or 0
    total = status.get("replicas") or 0
    if spec.get("paused"):  # no new template rolls out: the replicas are what counts
        ready = min(available, desired)
        done = observed and total == desired and available >= desired
    else:
        ready = min(updated, available, desired)
        done = observed and updated >= desired and available >= desired and total == desired
    if done:
        return Rollout(desired=desired, ready=ready, done=True)
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    problem = ""
    failure = conditions.get("ReplicaFailure") or {}
    progressing = conditions.get("Progressing") or {}
    if failure.get("status") == "True":
        problem = "the cluster refused to create its pods: " + (
            failure.get("message") or failure.get("reason", "")
        )
    elif progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
        problem = progressing.get("message") or "the rollout exceeded its progress deadline"
    else:
        problem = next((p for p in map(_pod_problem, pods) if p), "")
    return Rollout(desired=desired, ready=ready, done=False, problem=problem)


def rollout_wait(
    identity: Identity,
    *,
    namespace: str,
    name: str,
    since: datetime,
    timeout: float,
    report: Callable[[Rollout], None] = lambda state: None,
    stop: Callable[[], bool] = lambda: False,
) -> Rollout:
    """Follow a rollout as the person until it is done, fails (the same problem seen
    ``ROLLOUT_PROBLEM_POLLS`` times in a row), times out, or ``stop()`` says to."""
    apps, core = api(identity, "apps"), api(identity, "core")
    serialize = apps.api_client.sanitize_for_serialization
    deadline = time.monotonic() + timeout
    problems = 0
    while True:
        deployment = serialize(call(apps.read_namespaced_deployment, name, namespace))
        match = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
        listed = call(
            core.list_namespaced_pod, namespace, label_selector=",".join(f"{k}={v}" for k, v in match.items())
        )
        # The pods this change made (a moment's slack for clocks); older ones are not its doing.
        pods = [
            serialize(p)
            for p in listed.items
            if p.metadata.creation_timestamp
            and p.metadata.creation_timestamp.timestamp() >= since.timestamp() - 2
            and not p.metadata.deletion_timestamp
        ]
        state = rollout_state(deployment, pods)
        report(state)
        problems = problems + 1 if state.problem else 0
        if state.done or problems >= ROLLOUT_PROBLEM_POLLS or stop():
            return state
        if time.monotonic() >= deadline:
            return Rollout(state.desired, state.ready, False, state.problem, timed_out=True)
        time.sleep(ROLLOUT_POLL_SECONDS)


# bash where the image has it, else sh; TERM for the browser's terminal (xterm.js).
SHELL = [
    "/bin/sh",
    "-c",
    "export TERM=xterm-256color; command -v bash >/dev/null 2>&1 && exec bash || exec sh",
]


async def pod_shell_open(identity: Identity, *, namespace: str, pod: str, container: str) -> Session:
    """A shell in ``container`` of ``pod``, as ``identity`` (RBAC ``create pods/exec``):
    the container's own environment, as its process has it."""
    return await exec_open(identity, namespace=namespace, pod=pod, container=container, command=SHELL)


async def exec_in_pod(
    identity: Identity, *, namespace: str, pod: str, container: str, command: list[str] | None
) -> Session:
    """``command`` (or a shell) in a terminal in ``container`` of ``pod``, as ``identity``."""
    return await exec_open(
        identity, namespace=namespace, pod=pod, container=container, command=command or SHELL
    )
