"""Builds on the cluster: one Job per build, its pod, its log, and image triggers.

Every call is made as the person the build runs for (impersonation), so the
project's RBAC decides whether they may create Jobs or patch Deployments.

The source is only ever read in the project's namespace: a short-lived *source
pod* clones the ref and hands Berth the commit and the small files detection
reads (:func:`source_read`); the worker never clones. The build pod clones that
exact commit in an init container and builds the image with buildah (daemonless,
chroot isolation) from the Dockerfile Berth generated from the build plan,
mounted from a ConfigMap, runs the post-commit hook in the new image, and pushes.
:class:`PodBuilder` is this real path; clusters whose pods run no containers
(kwok) get ``builds.simulation`` instead, chosen in ``builds.backends``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import shlex
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from kubernetes import client as k8s

from builds.detect import DEPENDENCIES_ARG
from builds.source import SourceRead
from kube.client import MANAGED_BY, Identity, api, call, system_identity
from kube.errors import ClusterError, Conflict, Invalid, NotFound
from workloads import cluster as workloads_cluster
from workloads import hooks as workloads_hooks

BUILD_LABEL = "berth.io/build"
BUILD_CONFIG_LABEL = "berth.io/build-config"
IMAGE_TRIGGERS = workloads_cluster.IMAGE_TRIGGERS
# A Deployment made before its first image runs no pod; the first image scales it to this.
REPLICAS_AFTER_BUILD = "berth.io/replicas-after-first-image"
SOURCE_LABEL = "berth.io/source-of"
AUTH_DIR = "/berth/auth"
BUILD_CA_IN_IMAGE = "/etc/berth/build-ca.crt"  # where RUN steps see the cluster's CA bundle
SOURCE_SECRET_DIR = "/berth/source"  # noqa: S105 - a mount path
SOURCE_SECRET_TYPES = ("kubernetes.io/basic-auth", "kubernetes.io/ssh-auth")
# Git's credentials from the config's source secret, when it has one: a token through
# GIT_ASKPASS (https), a key through GIT_SSH_COMMAND (ssh). Nothing lands in the URL.
_CREDENTIALS = f"""
if [ -f {SOURCE_SECRET_DIR}/password ]; then
  printf '#!/bin/sh\\ncase "$1" in Username*) cat %s/username ;; *) cat %s/password ;; esac\\n' \\
    {SOURCE_SECRET_DIR} {SOURCE_SECRET_DIR} > /tmp/askpass
  chmod 700 /tmp/askpass; export GIT_ASKPASS=/tmp/askpass
fi
if [ -f {SOURCE_SECRET_DIR}/ssh-privatekey ]; then
  install -m 600 {SOURCE_SECRET_DIR}/ssh-privatekey /tmp/ssh-key
  hosts="-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/known_hosts"
  if [ -f {SOURCE_SECRET_DIR}/known_hosts ]; then
    hosts="-o StrictHostKeyChecking=yes -o UserKnownHostsFile={SOURCE_SECRET_DIR}/known_hosts"
  fi
  export GIT_SSH_COMMAND="ssh -i /tmp/ssh-key -o IdentitiesOnly=yes -o BatchMode=yes $hosts"
fi
""".strip()
# The tags of incremental builds' dependency images: Berth's, not shown as the project's images.
DEPENDENCIES_TAG_PREFIX = "berth-deps-"
CLONE_CONTAINER = "git-clone"
BUILD_CONTAINER = "build"
WORKSPACE = "/workspace"


@dataclass(frozen=True)
class BuildSpec:
    """What the build pod needs; made by builds.services from the config and the plan."""

    build_id: int
    name: str  # "web-3": the Job's name
    config_name: str
    git_uri: str
    commit: str
    context_dir: str
    dockerfile: str  # generated (source strategy) or "" to use the repo's own
    dockerfile_path: str
    output_image: str
    post_commit: str = ""
    source_secret: str = ""
    # A .dockerconfigjson that may push to output_image's repository (and nothing else).
    push_config: str = ""
    # Where the pod may run: a simulated build must land on a node that simulates.
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, str], ...] = ()
    # An incremental build: the dependencies' Dockerfile, its FROM and the files it copies.
    dependencies_dockerfile: str = ""
    builder_image: str = ""
    dependency_files: tuple[str, ...] = ()


def job_name(build_name: str) -> str:
    return f"build-{build_name}"[:63].rstrip("-")


def _git_options() -> str:
    # Production follows no redirect: a public address must not lead to a private one.
    return "" if not settings.PRODUCTION else "-c http.followRedirects=false "


def _clone_script(spec: BuildSpec) -> str:
    # A failed clone, an unreachable host or a missing commit fail the init
    # container; its output is the first part of the build log.
    uri, commit = shlex.quote(spec.git_uri), shlex.quote(spec.commit or "HEAD")
    return (
        "set -eu\n"
        f"{_CREDENTIALS}\n"
        f"git {_git_options()}clone --no-checkout -- {uri} {WORKSPACE}/src && "
        f"cd {WORKSPACE}/src && git checkout --quiet --detach {commit} && "
        "git log -1 --format='Commit %H: %s'"
    )


def build_args() -> list[tuple[str, str]]:
    """Cluster-wide settings for package installs during builds (``ARG``s, not baked
    into the image): a package index for clusters that cannot reach PyPI."""
    values = {
        "PIP_INDEX_URL": settings.BERTH_BUILD_PIP_INDEX_URL,
        "PIP_TRUSTED_HOST": settings.BERTH_BUILD_PIP_TRUSTED_HOST,
        # A proxy that intercepts TLS, or a private index: its CA, mounted for RUN steps.
        "PIP_CERT": BUILD_CA_IN_IMAGE if settings.BERTH_BUILD_CA_BUNDLE else "",
    }
    return [(key, value) for key, value in values.items() if value]


def _ca_bundle() -> str:
    path = settings.BERTH_BUILD_CA_BUNDLE
    return Path(path).read_text() if path else ""


class _Expanded(str):
    """A word of the build script the shell expands (``"$deps"``), so not quoted."""


def _join(words: list[str]) -> str:
    return " ".join(w if isinstance(w, _Expanded) else shlex.quote(w) for w in words)


def _repository(image: str) -> str:
    image = image.split("@", 1)[0]
    head, _, last = image.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _context(spec: BuildSpec) -> str:
    return f"{WORKSPACE}/src/{spec.context_dir.strip('/')}".rstrip("/")


def _registry_options(spec: BuildSpec) -> list[str]:
    tls = [f"--tls-verify={'false' if settings.BERTH_BUILD_REGISTRY_INSECURE else 'true'}"]
    return tls + ([f"--authfile={AUTH_DIR}/.dockerconfigjson"] if spec.push_config else [])


def _bud(spec: BuildSpec, *, dockerfile: str, tag: str | _Expanded, extra: list[str]) -> list[str]:
    bud = [
        "buildah",
        "bud",
        "--isolation=chroot",
        *_registry_options(spec),
        *extra,
        "-f",
        dockerfile,
        "-t",
        tag,
    ]
    for key, value in build_args():
        bud += ["--build-arg", f"{key}={value}"]
    if settings.BERTH_BUILD_CA_BUNDLE:
        bud += ["--volume", f"/berth/dockerfile/ca.crt:{BUILD_CA_IN_IMAGE}:ro"]
    return [*bud, _context(spec)]


def buildah_commands(spec: BuildSpec) -> list[list[str]]:
    """What the build container runs after the dependencies (:func:`_dependencies_script`):
    build, the post-commit hook in the new image, push."""
    if spec.dockerfile:
        dockerfile = "/berth/dockerfile/Dockerfile"
    else:
        dockerfile = f"{_context(spec)}/{spec.dockerfile_path or 'Dockerfile'}"
    registry = _registry_options(spec)
    extra = []
    if spec.dependencies_dockerfile:
        # FROM the dependencies image, which is in the pod's storage by now.
        extra = ["--pull=false", "--build-arg", _Expanded(f'"{DEPENDENCIES_ARG}=$deps"')]
    commands = [_bud(spec, dockerfile=dockerfile, tag=spec.output_image, extra=extra)]
    if spec.post_commit:
        commands.append(["buildah", "from", "--name=post-commit", *registry[:1], spec.output_image])
        commands.append(["buildah", "run", "post-commit", "--", "/bin/sh", "-c", spec.post_commit])
    # The digest lands in the termination message: Berth reads it from the pod status.
    commands.append(
        [
            "buildah",
            "push",
            *registry,
            "--digestfile=/dev/termination-log",
            spec.output_image,
            f"docker://{spec.output_image}",
        ]
    )
    return commands


def _dependencies_script(spec: BuildSpec) -> tuple[list[str], list[str]]:
    """An incremental build's lines before and after the app's: the image of the app's
    dependencies. One an earlier build pushed for the same builder image, requirements
    files and settings is pulled; else it is built, and pushed after the app's image
    (a failed build pushes nothing) for the next builds. Its tag is a hash of all that
    (``<repository>:berth-deps-<hash>``), made in the pod: only the pod reads the
    builder image's manifest and the files' contents."""
    registry = _registry_options(spec)
    repository = shlex.quote(f"{_repository(spec.output_image)}:{DEPENDENCIES_TAG_PREFIX}")
    settings_text = shlex.quote("".join(f"{key}={value};" for key, value in build_args()))
    deps, remote = _Expanded('"$deps"'), _Expanded('"docker://$deps"')
    before = [
        f"echo {shlex.quote('Looking up the builder image ' + spec.builder_image)}",
        # Its manifest names every layer; nothing is pulled unless dependencies are installed.
        f"builder=$({_join(['skopeo', 'inspect', '--raw', *registry, f'docker://{spec.builder_image}'])})",
        'key=$({ printf %s "$builder"; cat /berth/dockerfile/Dependencies; '
        f"printf %s {settings_text}; "
        f"cd {shlex.quote(_context(spec))} && sha256sum -- {_join(list(spec.dependency_files))}; }}"
        " | sha256sum | cut -c1-40)",
        f"deps={repository}$key",
        "new_deps=",
        'echo "Looking for the dependencies of an earlier build: $deps"',
        f"if {_join(['buildah', 'pull', '--quiet', *registry, remote])} >/dev/null 2>&1; then",
        '  echo "Dependencies: reusing them, installed by an earlier build from the same '
        'requirements and builder image"',
        "else",
        '  echo "Dependencies: installing them; later builds reuse them while the '
        'requirements and the builder image stay the same"',
        "  " + _join(_bud(spec, dockerfile="/berth/dockerfile/Dependencies", tag=deps, extra=[])),
        "  new_deps=1",
        "fi",
    ]
    after = [
        'if [ -n "$new_deps" ]; then',
        f"  {_join(['buildah', 'push', *registry, deps, remote])}"
        ' || echo "warning: could not keep $deps; the next build installs the dependencies again"',
        "fi",
    ]
    return before, after


def _build_script(spec: BuildSpec) -> str:
    before, after = _dependencies_script(spec) if spec.dependencies_dockerfile else ([], [])
    lines = ["set -eu", *before]
    for command in buildah_commands(spec):
        if command[:2] == ["buildah", "run"]:
            lines.append('echo "Running the post-commit hook in the new image"')
            lines.append(
                _join(command) + ' || { echo "The post-commit hook failed: nothing is pushed." >&2; exit 1; }'
            )
        else:
            lines.append(_join(command))
    return "\n".join([*lines, *after])


def _job(spec: BuildSpec) -> tuple[k8s.V1ConfigMap | None, k8s.V1Job]:
    labels = {
        BUILD_LABEL: str(spec.build_id),
        BUILD_CONFIG_LABEL: spec.config_name,
        MANAGED_BY[0]: MANAGED_BY[1],
    }
    name = job_name(spec.name)
    volumes = [
        k8s.V1Volume(name="workspace", empty_dir=k8s.V1EmptyDirVolumeSource()),
        k8s.V1Volume(name="containers", empty_dir=k8s.V1EmptyDirVolumeSource()),
    ]
    mounts = [
        k8s.V1VolumeMount(name="workspace", mount_path=WORKSPACE),
        k8s.V1VolumeMount(name="containers", mount_path="/var/lib/containers"),
    ]
    config_map = None
    files = {
        "Dockerfile": spec.dockerfile,
        "Dependencies": spec.dependencies_dockerfile,
        "ca.crt": _ca_bundle(),
    }
    if any(files.values()):
        config_map = k8s.V1ConfigMap(
            metadata=k8s.V1ObjectMeta(name=name, labels=labels), data={k: v for k, v in files.items() if v}
        )
        volumes.append(k8s.V1Volume(name="dockerfile", config_map=k8s.V1ConfigMapVolumeSource(name=name)))
        mounts.append(k8s.V1VolumeMount(name="dockerfile", mount_path="/berth/dockerfile", read_only=True))
    secret_volumes, secret_mounts = _source_secret_volume(spec.source_secret)
    volumes += secret_volumes
    if spec.push_config:
        volumes.append(k8s.V1Volume(name="push", secret=k8s.V1SecretVolumeSource(secret_name=f"{name}-push")))
        mounts.append(k8s.V1VolumeMount(name="push", mount_path=AUTH_DIR, read_only=True))
    resources = k8s.V1ResourceRequirements(
        requests={"cpu": "100m", "memory": "256Mi"},
        limits={"cpu": settings.BERTH_BUILD_CPU_LIMIT, "memory": settings.BERTH_BUILD_MEMORY_LIMIT},
    )
    pod = k8s.V1PodSpec(
        restart_policy="Never",
        automount_service_account_token=False,  # the tenant's build needs no API access
        active_deadline_seconds=settings.ACTION_TIME_LIMIT,
        init_containers=[
            k8s.V1Container(
                name=CLONE_CONTAINER,
                image=settings.BERTH_BUILDER_IMAGE,
                command=["sh", "-c", _clone_script(spec)],
                env=[k8s.V1EnvVar(name="GIT_TERMINAL_PROMPT", value="0")],
                volume_mounts=[mounts[0], *secret_mounts],  # the source secret: the clone's only
                resources=resources,
            )
        ],
        containers=[
            k8s.V1Container(
                name=BUILD_CONTAINER,
                image=settings.BERTH_BUILDER_IMAGE,
                command=["sh", "-c", _build_script(spec)],
                env=[k8s.V1EnvVar(name="BUILDAH_ISOLATION", value="chroot")],
                volume_mounts=mounts,
                resources=resources,
                termination_message_policy="File",
            )
        ],
        volumes=volumes,
        node_selector=spec.node_selector or None,
        tolerations=[k8s.V1Toleration(**t) for t in spec.tolerations] or None,
    )
    job = k8s.V1Job(
        metadata=k8s.V1ObjectMeta(name=name, labels=labels),
        spec=k8s.V1JobSpec(
            backoff_limit=0,  # a failed build is reported, not retried behind the person's back
            ttl_seconds_after_finished=24 * 3600,
            template=k8s.V1PodTemplateSpec(metadata=k8s.V1ObjectMeta(labels=labels), spec=pod),
        ),
    )
    return config_map, job


def build_job_create(identity: Identity, *, namespace: str, spec: BuildSpec) -> str:
    """Create the build's ConfigMap and Job as the person; an existing one (an earlier
    attempt of the same build) is kept. Returns the Job's name."""
    config_map, job = _job(spec)
    if config_map is not None:
        with contextlib.suppress(Conflict):
            call(api(identity, "core").create_namespaced_config_map, namespace, config_map)
    try:
        created = call(api(identity, "batch").create_namespaced_job, namespace, job)
    except Conflict:
        created = call(api(identity, "batch").read_namespaced_job, job.metadata.name, namespace)
        if (created.metadata.labels or {}).get(BUILD_LABEL) != str(spec.build_id):
            raise Conflict(f"A Job named {job.metadata.name} exists already in {namespace}.") from None
    if spec.push_config:
        # Owned by the Job: it goes when the Job goes (the pod waits for it meanwhile).
        owner = k8s.V1OwnerReference(
            api_version="batch/v1", kind="Job", name=created.metadata.name, uid=created.metadata.uid
        )
        secret = k8s.V1Secret(
            metadata=k8s.V1ObjectMeta(
                name=f"{job.metadata.name}-push", labels=job.metadata.labels, owner_references=[owner]
            ),
            type="kubernetes.io/dockerconfigjson",
            string_data={".dockerconfigjson": spec.push_config},
        )
        with contextlib.suppress(Conflict):
            call(api(identity, "core").create_namespaced_secret, namespace, secret)
    return job.metadata.name


def build_job_delete(identity: Identity, *, namespace: str, build_id: int, name: str) -> None:
    """Delete the Job, its pod (at once: a cancelled build stops now) and its ConfigMap."""
    jobname = job_name(name)
    with contextlib.suppress(NotFound):
        call(
            api(identity, "batch").delete_namespaced_job,
            jobname,
            namespace,
            body=k8s.V1DeleteOptions(propagation_policy="Background"),
        )
    core = api(identity, "core")
    for pod in call(core.list_namespaced_pod, namespace, label_selector=f"{BUILD_LABEL}={build_id}").items:
        with contextlib.suppress(NotFound):
            call(core.delete_namespaced_pod, pod.metadata.name, namespace, grace_period_seconds=0)
    with contextlib.suppress(NotFound):
        call(core.delete_namespaced_config_map, jobname, namespace)


# The source pod -----------------------------------------------------------------

SOURCE_COMMIT = "BERTH-COMMIT "
SOURCE_ERROR = "BERTH-ERROR "
SOURCE_BEGIN = "BERTH-SOURCE-BEGIN"
SOURCE_END = "BERTH-SOURCE-END"
SOURCE_FILE_LIMIT = "256k"  # detection reads manifests and Python modules, not assets


def _source_script(*, git_uri: str, git_ref: str, context_dir: str) -> str:
    uri = shlex.quote(git_uri)
    branch = f"--branch {shlex.quote(git_ref)} " if git_ref else ""
    context = shlex.quote(context_dir.strip("/") or ".")
    return "\n".join(
        [
            "set -eu",
            _CREDENTIALS,
            f"git {_git_options()}clone --depth 1 --single-branch {branch}-- {uri} {WORKSPACE}/src",
            f"cd {WORKSPACE}/src",
            f"printf '{SOURCE_COMMIT}%s\\n' \"$(git log -1 --format='%H %s')\"",
            f"if [ ! -d {context} ] || [ -L {context} ]; then",
            f"  echo '{SOURCE_ERROR}The context directory does not exist in the repository.'; exit 3",
            "fi",
            f"cd {context}",
            f"echo {SOURCE_BEGIN}",
            f"find . -path ./.git -prune -o -type f -size -{SOURCE_FILE_LIMIT} -print0"
            " | tar --null --no-recursion -T - -czf - | base64 -w 100",
            f"echo {SOURCE_END}",
        ]
    )


def _source_secret_volume(secret: str) -> tuple[list[k8s.V1Volume], list[k8s.V1VolumeMount]]:
    if not secret:
        return [], []
    return (
        [
            k8s.V1Volume(
                name="source-secret", secret=k8s.V1SecretVolumeSource(secret_name=secret, default_mode=0o400)
            )
        ],
        [k8s.V1VolumeMount(name="source-secret", mount_path=SOURCE_SECRET_DIR, read_only=True)],
    )


def source_secret_problem(identity: Identity, *, namespace: str, name: str) -> str | None:
    """Why ``name`` cannot be a source secret of the project, read as the person."""
    try:
        secret = call(api(identity, "core").read_namespaced_secret, name, namespace)
    except NotFound:
        return f"There is no Secret named {name} in this project."
    if secret.type not in SOURCE_SECRET_TYPES:
        return (
            f"{name} is a Secret of type {secret.type}; a source secret is kubernetes.io/basic-auth "
            "or kubernetes.io/ssh-auth."
        )
    return None


def _source_pod(name: str, config_name: str, script: str, secret: str = "") -> k8s.V1Pod:
    secret_volumes, secret_mounts = _source_secret_volume(secret)
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(
            name=name, labels={SOURCE_LABEL: config_name, MANAGED_BY[0]: MANAGED_BY[1]}
        ),
        spec=k8s.V1PodSpec(
            restart_policy="Never",
            automount_service_account_token=False,
            active_deadline_seconds=settings.BERTH_SOURCE_READ_TIMEOUT,
            containers=[
                k8s.V1Container(
                    name="source",
                    image=settings.BERTH_BUILDER_IMAGE,
                    command=["sh", "-c", script],
                    env=[k8s.V1EnvVar(name="GIT_TERMINAL_PROMPT", value="0")],
                    working_dir=WORKSPACE,
                    volume_mounts=[k8s.V1VolumeMount(name="workspace", mount_path=WORKSPACE), *secret_mounts],
                    resources=k8s.V1ResourceRequirements(
                        requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "1", "memory": "256Mi"}
                    ),
                )
            ],
            volumes=[k8s.V1Volume(name="workspace", empty_dir=k8s.V1EmptyDirVolumeSource()), *secret_volumes],
        ),
    )


def _waiting_reason(pod: k8s.V1Pod) -> str:
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting if status.state else None
        if waiting and waiting.reason:
            return f"{waiting.reason}: {waiting.message or ''}".strip(": ")
    for condition in pod.status.conditions or []:
        if condition.status == "False" and condition.message:
            return condition.message
    return pod.status.phase or "Pending"


def _parse_source_log(text: str, exit_code: int | None) -> SourceRead:
    output: list[str] = []
    commit = message = problem = ""
    encoded: list[str] | None = None
    ended = False
    for line in text.splitlines():
        if encoded is not None and not ended:
            if line == SOURCE_END:
                ended = True
            else:
                encoded.append(line)
        elif line.startswith(SOURCE_COMMIT):
            commit, _, message = line.removeprefix(SOURCE_COMMIT).partition(" ")
        elif line.startswith(SOURCE_ERROR):
            problem = line.removeprefix(SOURCE_ERROR)
        elif line == SOURCE_BEGIN:
            encoded = []
        elif line.strip():
            output.append(line)
    if exit_code:
        return SourceRead(output, commit, message, problem=problem or f"git failed (exit {exit_code}).")
    if encoded is None or not ended:
        limit = settings.BERTH_SOURCE_READ_BYTES // (1024 * 1024)
        return SourceRead(
            output,
            commit,
            message,
            problem=f"The repository's small files are over {limit} MiB: too much to plan the build from.",
        )
    try:
        archive = base64.b64decode("".join(encoded), validate=True)
    except ValueError:
        return SourceRead(output, commit, message, problem="The source pod's output was garbled.")
    return SourceRead(output, commit, message[:500], archive)


def source_read(
    identity: Identity,
    *,
    namespace: str,
    config_name: str,
    git_uri: str,
    git_ref: str,
    context_dir: str,
    source_secret: str = "",
) -> SourceRead:
    """Clone ``git_ref`` in a pod of the project's namespace, as the person, and bring
    back the commit and the context directory's small files. The pod holds nothing of
    Berth's: no service account token, no credentials but the repository's own."""
    core = api(identity, "core")
    name = f"source-{config_name}"[:50].rstrip("-") + "-" + secrets.token_hex(3)
    script = _source_script(git_uri=git_uri, git_ref=git_ref, context_dir=context_dir)
    call(core.create_namespaced_pod, namespace, _source_pod(name, config_name, script, source_secret))
    try:
        deadline = time.monotonic() + settings.BERTH_SOURCE_READ_TIMEOUT
        while True:
            pod = call(core.read_namespaced_pod, name, namespace)
            if pod.status.phase in ("Succeeded", "Failed"):
                break
            if time.monotonic() > deadline:
                return SourceRead([], problem=f"The source pod did not finish: {_waiting_reason(pod)}")
            time.sleep(0.3)
        exit_code = None
        for status in pod.status.container_statuses or []:
            if status.state and status.state.terminated:
                exit_code = status.state.terminated.exit_code
        text = call(
            core.read_namespaced_pod_log,
            name,
            namespace,
            limit_bytes=settings.BERTH_SOURCE_READ_BYTES,
            _preload_content=False,
        ).data.decode("utf-8", "replace")
        if pod.status.phase == "Failed" and exit_code is None:
            return SourceRead(
                [], problem=f"The source pod failed: {pod.status.reason or _waiting_reason(pod)}"
            )
        return _parse_source_log(text, exit_code)
    finally:
        with contextlib.suppress(ClusterError):
            call(core.delete_namespaced_pod, name, namespace, grace_period_seconds=0)


@dataclass(frozen=True)
class BuildPod:
    name: str
    phase: str
    exit_code: int | None
    message: str  # the build container's termination message (buildah's digest file)
    reason: str


def _pod_of(pod: k8s.V1Pod) -> BuildPod:
    exit_code, message, reason = None, "", ""
    for status in (pod.status.init_container_statuses or []) + (pod.status.container_statuses or []):
        terminated = status.state.terminated if status.state else None
        if terminated is None:
            continue
        if status.name == BUILD_CONTAINER or terminated.exit_code:
            exit_code, reason = terminated.exit_code, terminated.reason or ""
            message = (terminated.message or "").strip() if status.name == BUILD_CONTAINER else ""
            if terminated.exit_code:
                break
    return BuildPod(
        name=pod.metadata.name,
        phase=pod.status.phase or "Pending",
        exit_code=exit_code,
        message=message,
        reason=reason,
    )


def build_pod(identity: Identity, *, namespace: str, build_id: int) -> BuildPod | None:
    """The pod of a build (the newest, if the Job made more than one), as the person."""
    pods = call(
        api(identity, "core").list_namespaced_pod, namespace, label_selector=f"{BUILD_LABEL}={build_id}"
    ).items
    if not pods:
        return None
    pods.sort(key=lambda p: p.metadata.creation_timestamp)
    return _pod_of(pods[-1])


class PodBuilder:
    """The real build: the pod clones and builds; its log is the build's output.

    ``builds.simulation.SimulatedBuilder`` has the same shape, for pods that run
    nothing. The worker calls :meth:`begin` once the build pod exists, follows
    :attr:`containers` in order, and asks :meth:`digest` once the pod succeeded.
    """

    simulated = False
    containers = (CLONE_CONTAINER, BUILD_CONTAINER)
    timestamps = True  # the kubelet's: where a worker taking over follows on from
    placement: dict = {}  # no node_selector or tolerations: the cluster places the pod

    def begin(
        self,
        *,
        namespace: str,
        pod: str,
        spec: BuildSpec,
        dockerfile: str,
        post_commit: str,
        output_repository: str,
    ) -> None:
        return None

    def read_source(self, identity: Identity, *, namespace: str, config, git_ref: str) -> SourceRead:
        return source_read(
            identity,
            namespace=namespace,
            config_name=config.name,
            git_uri=config.git_uri,
            git_ref=git_ref,
            context_dir=config.context_dir,
            source_secret=config.source_secret,
        )

    def caught_up(self, received: int) -> bool:
        """Whether a quiet log has nothing more to come (a real kubelet ends the stream)."""
        return False

    def digest(self, *, namespace: str, pod: BuildPod) -> str:
        """The pushed image's digest, from the build container's termination message."""
        return next((w for w in pod.message.split() if w.startswith("sha256:")), "")

    def end(self) -> None:
        return None


def _job_refusal(identity: Identity, *, namespace: str, job: str) -> str | None:
    """Why the Job controller could not make the pod (a full quota, a policy), if it said."""
    events = call(
        api(identity, "core").list_namespaced_event,
        namespace,
        field_selector=f"involvedObject.kind=Job,involvedObject.name={job},reason=FailedCreate",
    ).items
    return events[-1].message if events else None


def build_pod_wait(
    identity: Identity, *, namespace: str, build_id: int, job: str, timeout: float = 60.0
) -> BuildPod:
    started = time.monotonic()
    while True:
        pod = build_pod(identity, namespace=namespace, build_id=build_id)
        if pod is not None:
            return pod
        waited = time.monotonic() - started
        if waited > 3:
            refusal = _job_refusal(identity, namespace=namespace, job=job)
            if refusal:
                raise Invalid(f"The cluster could not create the build pod: {refusal}")
        if waited > timeout:
            raise NotFound(f"The build pod did not appear within {timeout:.0f}s.")
        time.sleep(0.2)


# Where pods run --------------------------------------------------------------------

NODE_SELECTOR_ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector"
KWOK_TAINT_KEY = "kwok.x-k8s.io/node"


def namespace_node_selector(namespace: str) -> str:
    """The node selector the namespace imposes on its pods (PodNodeSelector), read
    with Berth's own identity: the placement of a project is not a member's secret."""
    found = call(api(system_identity(), "core").read_namespace, namespace)
    return (found.metadata.annotations or {}).get(NODE_SELECTOR_ANNOTATION, "")


def real_node_ready() -> bool:
    """Whether a Ready node that is not one of kwok's fakes exists."""
    for node in call(api(system_identity(), "core").list_node).items:
        labels = node.metadata.labels or {}
        fake = labels.get("type") == "kwok" or any(t.key == KWOK_TAINT_KEY for t in node.spec.taints or [])
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        if ready and not fake:
            return True
    return False


# Triggers: Deployments that follow an image ---------------------------------


@dataclass(frozen=True)
class ImageFollower:
    deployment: str
    container_kind: str
    index: int | None
    container: str | None
    paused: bool


def _followers(deployment: k8s.V1Deployment, stream_tag: str) -> list[ImageFollower]:
    """The containers of ``deployment`` whose triggers name ``stream_tag``."""
    return [
        ImageFollower(deployment.metadata.name, t.container_kind, t.index, t.container, t.paused)
        for t in workloads_cluster.image_triggers(deployment.metadata.annotations)
        if t.stream_tag == stream_tag
    ]


def deployments_follow_image(
    identity: Identity, *, namespace: str, stream_tag: str, image: str
) -> tuple[list[str], list[str]]:
    """Point every container that follows ``stream_tag`` (OpenShift's
    ``image.openshift.io/triggers`` annotation) at ``image``: an ordinary patch of the
    pod template, so the Deployment rolls out as usual. Returns what changed, and which of
    those wait, paused, for their hooks (workloads.hooks: a release runs them)."""
    apps = api(identity, "apps")
    changed, gated = [], []
    for deployment in call(apps.list_namespaced_deployment, namespace).items:
        followers = [f for f in _followers(deployment, stream_tag) if not f.paused]
        if not followers:
            continue
        pod_spec = deployment.spec.template.spec
        patch_containers: dict[str, list[dict]] = {}
        for follower in followers:
            containers = (
                pod_spec.containers if follower.container_kind == "containers" else pod_spec.init_containers
            )
            for position, container in enumerate(containers or []):
                chosen = position == follower.index or container.name == follower.container
                if chosen and container.image != image:
                    key = "containers" if follower.container_kind == "containers" else "initContainers"
                    patch_containers.setdefault(key, []).append({"name": container.name, "image": image})
        if patch_containers:
            # A strategic merge patch keyed by container name: the other fields stay.
            patch: dict = {"spec": {"template": {"spec": patch_containers}}}
            first = (deployment.metadata.annotations or {}).get(REPLICAS_AFTER_BUILD)
            if first and first.isdigit() and not deployment.spec.replicas:
                patch["spec"]["replicas"] = int(first)
                patch["metadata"] = {"annotations": {REPLICAS_AFTER_BUILD: None}}
            if workloads_hooks.hooks_of({"metadata": {"annotations": deployment.metadata.annotations}}):
                patch["spec"]["paused"] = True
                gated.append(deployment.metadata.name)
            call(apps.patch_namespaced_deployment, deployment.metadata.name, namespace, patch)
            changed.append(deployment.metadata.name)
    return changed, gated


def following_deployment_create(
    identity: Identity, *, namespace: str, name: str, image: str, stream_tag: str, port: int
) -> None:
    """A Deployment that follows ``stream_tag`` (the triggers annotation, as
    ``oc new-app`` makes it): no pod until the first build's image arrives."""
    trigger = {
        "from": {"kind": "ImageStreamTag", "name": stream_tag},
        "fieldPath": f'spec.template.spec.containers[?(@.name=="{name}")].image',
    }
    workloads_cluster.deployment_create(
        identity,
        namespace=namespace,
        name=name,
        image=image,
        replicas=0,
        port=port,
        env={},
        annotations={IMAGE_TRIGGERS: json.dumps([trigger]), REPLICAS_AFTER_BUILD: "1"},
        ready_when_listening=True,
    )


def pull_secret_ensure(identity: Identity, *, namespace: str, name: str, docker_config: str) -> None:
    """The project's pull secret for its own repositories, given to the pods of the
    namespace's default service account (the kubelet pulls with it), as the person."""
    core = api(identity, "core")
    secret = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, labels={MANAGED_BY[0]: MANAGED_BY[1]}),
        type="kubernetes.io/dockerconfigjson",
        string_data={".dockerconfigjson": docker_config},
    )
    with contextlib.suppress(Conflict):
        call(core.create_namespaced_secret, namespace, secret)
    account = call(core.read_namespaced_service_account, "default", namespace)
    if name not in {ref.name for ref in account.image_pull_secrets or []}:
        refs = [{"name": ref.name} for ref in account.image_pull_secrets or []] + [{"name": name}]
        call(core.patch_namespaced_service_account, "default", namespace, {"imagePullSecrets": refs})


def log_stamp(text: str) -> int:
    """A kubelet log timestamp (RFC 3339, up to nanoseconds) as nanoseconds since 1970."""
    seconds, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.strptime(seconds, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + int((fraction or "0")[:9].ljust(9, "0"))
