"""A deployment's hooks: commands run from its new pod template before its rollout
proceeds (pre-deploy: ``manage.py migrate``) and after it finished (post-deploy).

Kubernetes has no hooks, so Berth gates the rollouts it makes. A deployment with a hook
gets each change to its pod template together with ``spec.paused`` (the deployment
controller makes no new ReplicaSet while paused, so the new version gets no pod). Then
its release (workloads.tasks.release: in the edit's, restart's or resume's own action,
or a ``deployment.release`` action after a new image) runs the pre-deploy hook, as a Job
from the new template: if it succeeds the deployment is resumed and rolls out, then the
post-deploy hook runs; if it fails the pod template goes back to the one that serves
(the current revision's) in the write that resumes it, so the old version never stops
serving and the new one never starts.

A hook is an annotation of the Deployment, ``berth.io/pre-deploy`` or
``berth.io/post-deploy``, whose value is JSON: ``{"command": "<shell command line>",
"container": "<name>", "failurePolicy": "Abort" | "Ignore"}`` — OpenShift's
DeploymentConfig ``lifecycleHooks`` (``execNewPod``) map onto it (catalog.openshift).
Changes made around Berth (kubectl) roll out as Kubernetes makes them, without hooks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from kube.client import Identity, api, call
from kube.errors import Conflict
from workloads.cluster import HASH_LABEL, REVISION, deployment_object, deployment_replace

PRE, POST = "pre-deploy", "post-deploy"
ANNOTATION = {PRE: "berth.io/pre-deploy", POST: "berth.io/post-deploy"}
POLICIES = ("Abort", "Ignore")


@dataclass(frozen=True)
class Hook:
    phase: str  # PRE or POST
    command: str
    container: str = ""  # "" for the first container
    failure_policy: str = "Abort"

    def annotation(self) -> str:
        value = {"command": self.command, "failurePolicy": self.failure_policy}
        if self.container:
            value["container"] = self.container
        return json.dumps(value, sort_keys=True)


def hooks_of(deployment: dict) -> dict[str, Hook]:
    """The deployment's hooks by phase; an annotation that isn't a hook is ignored."""
    annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    found = {}
    for phase, key in ANNOTATION.items():
        try:
            value = json.loads(annotations.get(key) or "null")
        except ValueError:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("command"), str) or not value["command"]:
            continue
        policy = value.get("failurePolicy") if value.get("failurePolicy") in POLICIES else "Abort"
        container = value.get("container") if isinstance(value.get("container"), str) else ""
        found[phase] = Hook(phase=phase, command=value["command"], container=container, failure_policy=policy)
    return found


def _bare(template: dict) -> dict:
    template = copy.deepcopy(template)
    ((template.get("metadata") or {}).get("labels") or {}).pop(HASH_LABEL, None)
    return template


def serving_template(identity: Identity, *, namespace: str, deployment: dict) -> dict | None:
    """The pod template of the deployment's current revision (what serves now), or None
    when nothing serves (no ReplicaSet yet, or none with pods: a template's app before its
    first build)."""
    revision = ((deployment.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    if not revision:
        return None
    apps = api(identity, "apps")
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"].get("matchLabels", {}).items())
    uid = deployment["metadata"]["uid"]
    for rs in call(apps.list_namespaced_replica_set, namespace, label_selector=selector).items:
        owned = any(ref.uid == uid for ref in rs.metadata.owner_references or [])
        if owned and (rs.metadata.annotations or {}).get(REVISION) == revision and rs.spec.replicas:
            return _bare(apps.api_client.sanitize_for_serialization(rs.spec.template))
    return None


def pending(identity: Identity, *, namespace: str, deployment: dict) -> dict | None:
    """The template serving now if the deployment's own differs from it (a release waits),
    else None; {} when nothing serves (the deployment's template waits, nothing to go
    back to)."""
    serving = serving_template(identity, namespace=namespace, deployment=deployment)
    if serving is None:
        return {}
    return serving if serving != _bare(deployment["spec"]["template"]) else None


def gated(deployment: dict) -> dict:
    """``deployment`` (a body about to be written) paused if it has a hook: its release
    runs the hooks, and sees what waits (``pending``) without racing the controller."""
    if hooks_of(deployment):
        deployment = copy.deepcopy(deployment)
        deployment["spec"]["paused"] = True
    return deployment


def resume(identity: Identity, *, namespace: str, name: str, template: dict | None = None) -> None:
    """Resume the deployment; with ``template``, put that pod template back first (in the
    same write, so the controller never sees the rejected one unpaused)."""
    for attempt in range(5):
        body = deployment_object(identity, namespace=namespace, name=name)
        if template is not None:
            body["spec"]["template"] = template
        body["spec"]["paused"] = False
        try:
            deployment_replace(identity, namespace=namespace, body=body)
            return
        except Conflict:
            if attempt == 4:
                raise
