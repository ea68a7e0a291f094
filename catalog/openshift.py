"""OpenShift's own kinds in a template, on a cluster that does not serve them.

Pure: what an object becomes. A ``Route`` becomes a Berth route (an Ingress through the
cluster's router, or an OpenShift Route where served), with the same host rules as the
Routes page: an empty host gets the project's default name, and a host is checked and
claimed like any other. A ``DeploymentConfig`` becomes a Deployment (its image triggers
from the project's streams kept as ``image.openshift.io/triggers``, those from the
``openshift`` namespace resolved by the image catalog); an ``ImageStream`` is the project's
repository in the integrated registry, which needs nothing made; a ``BuildConfig`` becomes
a Berth build config (builds.services), its first build started.
"""

from __future__ import annotations

import json
import shlex

from django.conf import settings

from builds.cluster import REPLICAS_AFTER_BUILD
from networking.cluster import RouteSpec, default_host
from workloads.hooks import ANNOTATION as HOOK_ANNOTATION
from workloads.hooks import POST, PRE, Hook

ROUTE_API_VERSIONS = ("route.openshift.io/v1", "v1")  # old templates say "v1"
# What a Route becomes in the action's plan: made by networking.hosts (claim, then create).
MAPPED_ROUTE = {"apiVersion": "berth.io/v1", "kind": "Route"}


def planned_as(obj: dict, mapped: dict) -> bool:
    """Whether an object of an action's plan is one of Berth's stand-ins (MAPPED_…)."""
    return (obj.get("apiVersion"), obj.get("kind")) == (mapped["apiVersion"], mapped["kind"])


def is_route(obj: dict) -> bool:
    return obj.get("kind") == "Route" and obj.get("apiVersion") in ROUTE_API_VERSIONS


def route_spec(route: dict, *, project: str, objects: list[dict]) -> RouteSpec:
    """The Berth route a template's Route asks for. Its port is the Service's port: the one
    ``port.targetPort`` names (by name, or by number as the Service's port or target port),
    or the first port of the template's Service of that name."""
    name = (route.get("metadata") or {}).get("name", "")
    spec = route.get("spec") or {}
    service = (spec.get("to") or {}).get("name", "")
    ports = next(
        (
            (o.get("spec") or {}).get("ports") or []
            for o in objects
            if o.get("kind") == "Service" and (o.get("metadata") or {}).get("name") == service
        ),
        [],
    )
    wanted = (spec.get("port") or {}).get("targetPort")
    port = ""
    for p in ports:
        if wanted in (None, "") or wanted in (p.get("name"), p.get("port"), p.get("targetPort")):
            port = str(p.get("port", ""))
            break
    if not port and wanted not in (None, ""):
        port = str(wanted)
    host = spec.get("host") or default_host(name=name, project=project, domain=settings.BERTH_APPS_DOMAIN)
    return RouteSpec(name=name, host=host, path=spec.get("path") or "/", service=service, port=port)


def hosts_of(obj: dict) -> list[str]:
    """The host names an Ingress or a Route of a template asks for."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Route":
        return [spec["host"]] if spec.get("host") else []
    if obj.get("kind") == "Ingress":
        hosts = [r.get("host") for r in spec.get("rules") or []]
        hosts += [h for t in spec.get("tls") or [] for h in t.get("hosts") or []]
        return sorted({h for h in hosts if h})
    return []


DEPLOYMENT_CONFIG_API_VERSIONS = ("apps.openshift.io/v1", "v1")
IMAGE_STREAM_API_VERSIONS = ("image.openshift.io/v1", "v1")
# What an ImageStream becomes in the action's plan: nothing to make — the project's
# repository in the integrated registry, which its first build or push fills.
MAPPED_STREAM = {"apiVersion": "berth.io/v1", "kind": "ImageStream"}
IMAGE_TRIGGERS = "image.openshift.io/triggers"


def is_deployment_config(obj: dict) -> bool:
    return obj.get("kind") == "DeploymentConfig" and obj.get("apiVersion") in DEPLOYMENT_CONFIG_API_VERSIONS


def is_image_stream(obj: dict) -> bool:
    return obj.get("kind") == "ImageStream" and obj.get("apiVersion") in IMAGE_STREAM_API_VERSIONS


def _hook(phase: str, hook: dict) -> tuple[Hook | None, list[str]]:
    """A DeploymentConfig lifecycle hook as a Berth hook (workloads.hooks): ``execNewPod``'s
    command and env as one shell command line, in its container."""
    if hook.get("tagImages"):
        return None, [f"its {phase} hook tags images, which Berth does not do"]
    run = hook.get("execNewPod") or {}
    policy = hook.get("failurePolicy") or "Abort"
    if policy not in ("Abort", "Ignore"):
        return None, [f"its {phase} hook's failurePolicy {policy} (Berth runs Abort and Ignore)"]
    command = [str(part) for part in run.get("command") or []]
    if not command:
        return None, [f"its {phase} hook has no command"]
    assignments = []
    for variable in run.get("env") or []:
        if "value" not in variable:
            return None, [f"its {phase} hook's env {variable.get('name')} is not a plain value"]
        assignments.append(f"{variable['name']}={shlex.quote(str(variable['value']))}")
    line = " ".join([*assignments, shlex.join(command)])
    return Hook(
        phase=phase, command=line, container=str(run.get("containerName") or ""), failure_policy=policy
    ), []


def _strategy(spec: dict) -> tuple[dict, list[str], list[Hook]]:
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type") or "Rolling"
    problems = []
    params = strategy.get("rollingParams") or strategy.get("recreateParams") or {}
    hooks = []
    if params.get("mid"):
        problems.append("its mid hook has no equivalent in a Kubernetes rollout")
    for key, phase in (("pre", PRE), ("post", POST)):
        if params.get(key):
            hook, hook_problems = _hook(phase, params[key])
            problems += hook_problems
            hooks += [hook] if hook else []
    if kind == "Recreate":
        return {"type": "Recreate"}, problems, hooks
    if kind == "Rolling":
        rolling = {k: params[k] for k in ("maxSurge", "maxUnavailable") if k in params}
        return (
            ({"type": "RollingUpdate", "rollingUpdate": rolling} if rolling else {"type": "RollingUpdate"}),
            problems,
            hooks,
        )
    return {}, [*problems, f"its {kind} strategy has no Kubernetes equivalent"], hooks


def _field_path(container: str) -> str:
    return f'spec.template.spec.containers[?(@.name=="{container}")].image'


def _tagged(stream_tag: str) -> str:
    """``name:tag``, with the tag ``latest`` where none is given."""
    name, _, tag = stream_tag.partition(":")
    return f"{name}:{tag or 'latest'}"


def built_stream_tags(objects: list[dict], *, project: str) -> frozenset[str]:
    """The project's stream tags the template's BuildConfigs make (``name:tag``)."""
    tags = set()
    for obj in objects:
        if not is_build_config(obj):
            continue
        to = (((obj.get("spec") or {}).get("output") or {}).get("to")) or {}
        if to.get("kind") == "ImageStreamTag" and (to.get("namespace") or project) == project:
            tags.add(_tagged(str(to.get("name", ""))))
    return frozenset(tags)


def deployment_from_config(
    dc: dict, *, project: str, registry: str, resolve, built: frozenset[str] = frozenset()
) -> tuple[dict, list[str]]:
    """The Deployment doing what DeploymentConfig ``dc`` asks, and what it cannot do.

    An ImageChange trigger from the project's own image stream (no namespace, or the
    project's) sets the container's image to that stream's tag in the integrated registry
    and keeps following it (``image.openshift.io/triggers``, as Berth's builds roll out);
    one from another namespace (``openshift``) is the image catalog's, through ``resolve``
    (``catalog.images.catalog_image``), which raises LookupError with what there is.
    Where a build of the template makes that tag (``built``), no pod starts before its
    first image, as OpenShift waits for the trigger: none would pull, and their quota
    could keep the build itself from starting.
    """
    metadata = dc.get("metadata") or {}
    spec = dc.get("spec") or {}
    template = json.loads(json.dumps(spec.get("template") or {}))
    containers = (template.get("spec") or {}).get("containers") or []
    problems: list[str] = []
    strategy, strategy_problems, hooks = _strategy(spec)
    problems += strategy_problems
    if spec.get("test"):
        problems.append("a test deployment has no Kubernetes equivalent")
    triggers = []
    awaited = False
    for trigger in spec.get("triggers") or []:
        if trigger.get("type") != "ImageChange":
            continue  # ConfigChange: a Deployment rolls out on its template's changes anyway
        params = trigger.get("imageChangeParams") or {}
        source = params.get("from") or {}
        stream_tag, namespace = str(source.get("name", "")), str(source.get("namespace") or "")
        if source.get("kind") != "ImageStreamTag" or not stream_tag:
            problems.append("an image trigger not from an ImageStreamTag")
            continue
        own = namespace in ("", project)
        if own:
            tagged = _tagged(stream_tag)
            image = f"{registry}/{project}/{tagged}"
            automatic = params.get("automatic", True) is not False
            awaited = awaited or (automatic and tagged in built)
        else:
            try:
                image = resolve(stream_tag)
            except LookupError as exc:
                problems.append(str(exc))
                continue
        for container in containers:
            if container.get("name") in (params.get("containerNames") or []):
                container["image"] = image
                if own:
                    triggers.append(
                        {
                            "from": {"kind": "ImageStreamTag", "name": stream_tag},
                            "fieldPath": _field_path(container["name"]),
                            **({} if params.get("automatic", True) else {"paused": "true"}),
                        }
                    )
    for container in containers:
        if not str(container.get("image") or "").strip():
            problems.append(
                f"its container {container.get('name')} has no image (and no image trigger gives it one)"
            )
    selector = dict(spec.get("selector") or ((template.get("metadata") or {}).get("labels") or {}))
    template.setdefault("metadata", {})
    template["metadata"]["labels"] = {**(template["metadata"].get("labels") or {}), **selector}
    template["metadata"].pop("name", None)
    annotations = dict(metadata.get("annotations") or {})
    if triggers:
        annotations[IMAGE_TRIGGERS] = json.dumps(triggers)
    for hook in hooks:
        annotations[HOOK_ANNOTATION[hook.phase]] = hook.annotation()
    replicas = spec.get("replicas", 1)
    if awaited and replicas:
        annotations[REPLICAS_AFTER_BUILD] = str(replicas)  # builds.cluster scales it then
        replicas = 0
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            k: v
            for k, v in {**metadata, "annotations": annotations}.items()
            if k in ("name", "labels", "annotations") and v
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": template,
            **({"strategy": strategy} if strategy else {}),
            **{k: spec[k] for k in ("minReadySeconds", "revisionHistoryLimit", "paused") if k in spec},
        },
    }
    return deployment, problems


BUILD_CONFIG_API_VERSIONS = ("build.openshift.io/v1", "v1")
# What a BuildConfig becomes in the action's plan: a Berth build config (builds.services).
MAPPED_BUILD = {"apiVersion": "berth.io/v1", "kind": "BuildConfig"}


def is_build_config(obj: dict) -> bool:
    return obj.get("kind") == "BuildConfig" and obj.get("apiVersion") in BUILD_CONFIG_API_VERSIONS


def build_config_data(bc: dict, *, project: str, registry: str, resolve) -> tuple[dict, dict, list[str]]:
    """What a Berth build config needs to do what BuildConfig ``bc`` asks (the fields of
    ``builds.models.CONFIG_FIELDS``), its webhook secrets, and what it cannot do."""
    spec = bc.get("spec") or {}
    source = spec.get("source") or {}
    strategy = spec.get("strategy") or {}
    problems: list[str] = []
    git = source.get("git") or {}
    if source.get("type", "Git") != "Git" or not git.get("uri"):
        problems.append("only a Git source is built")
    data: dict = {
        "git_uri": str(git.get("uri", "")),
        "git_ref": str(git.get("ref") or ""),
        "context_dir": str(source.get("contextDir") or "").strip("/"),
        "env": {},
    }
    kind = strategy.get("type", "Source")
    if kind == "Source":
        params = strategy.get("sourceStrategy") or {}
        data["strategy"] = "source"
        data["incremental"] = bool(params.get("incremental", True))
        builder = params.get("from") or {}
        if builder.get("kind") == "ImageStreamTag":
            try:
                data["builder_image"] = resolve(str(builder.get("name", "")))
            except LookupError as exc:
                problems.append(str(exc))
        elif builder.get("kind") == "DockerImage":
            data["builder_image"] = str(builder.get("name", ""))
    elif kind == "Docker":
        params = strategy.get("dockerStrategy") or {}
        data["strategy"] = "docker"
        data["dockerfile_path"] = str(params.get("dockerfilePath") or "Dockerfile")
    else:
        params = {}
        problems.append(f"its {kind} strategy is not built by Berth")
    data["env"] = {
        str(e.get("name")): str(e.get("value", "")) for e in params.get("env") or [] if e.get("name")
    }
    output = (spec.get("output") or {}).get("to") or {}
    if output.get("kind") == "ImageStreamTag" and output.get("name"):
        data["output_image"] = f"{registry}/{project}/{_tagged(str(output['name']))}"
    elif output:
        problems.append("its output goes only to the project's image streams (an ImageStreamTag)")
    secrets = {}
    kinds = {t.get("type") for t in spec.get("triggers") or []}
    for trigger in spec.get("triggers") or []:
        for hook, field in (("github", "github_secret"), ("generic", "generic_secret")):
            secret = (trigger.get(hook) or {}).get("secret")
            if secret:
                secrets[field] = str(secret)
    data["trigger_github"] = "GitHub" in kinds
    data["trigger_generic"] = "Generic" in kinds
    data["trigger_config_change"] = "ConfigChange" in kinds
    data["trigger_image_change"] = "ImageChange" in kinds
    post = spec.get("postCommit") or {}
    data["post_commit"] = str(
        post.get("script") or " ".join([*(post.get("command") or []), *(post.get("args") or [])])
    )
    return data, secrets, problems
