"""The control plane as plain processes: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (which plays the kubelet of three fake nodes).

Everything listens on 127.0.0.1. The state directory holds the PKI, etcd's data,
the components' logs, the kubeconfigs and ``state.json`` (ports, and the pid and
start time of every process `up` started, which is all `down` ever stops).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import secrets
import shutil
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from devcluster import build, images, kube, node, packages, placement, procs
from devcluster.pki import IDENTITIES, PKI, SERVICE_CIDR
from devcluster.procs import LOOPBACK, Component, ProcRecord

REPO_ROOT = Path(__file__).resolve().parent.parent

NODE_NAMES = ("devcluster-node-1", "devcluster-node-2", "devcluster-node-3")
# The apiserver prefers Hostname (for the real node); kwok answers on 127.0.0.1 and its
# serving certificate names "localhost".
KWOK_NODE_ADDRESSES = [
    {"type": "InternalIP", "address": LOOPBACK},
    {"type": "Hostname", "address": "localhost"},
]
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
# Pod addresses kwok hands out. Nothing ever listens there: never send traffic to them.
POD_CIDR = "10.244.0.0/16"
# kwok serves these kinds from CRD objects created at run time (tests give a pod a
# log by creating a Logs object). PortForward is left out on purpose: it would let
# an object forward connections to arbitrary addresses.
KWOK_CRDS = ("Logs", "ClusterLogs", "Exec", "ClusterExec", "Attach", "ClusterAttach")


COMPONENTS: tuple[Component, ...] = (
    Component("etcd", ("etcd-client", "etcd-peer"), 30),
    # The first boot creates every bootstrap RBAC object and priority level.
    Component("kube-apiserver", ("kube-apiserver",), 120),
    Component("kube-controller-manager", ("kube-controller-manager",), 60),
    Component("kube-scheduler", ("kube-scheduler",), 60),
    Component("kwok", ("kwok",), 60),
)
BY_NAME = {c.name: c for c in COMPONENTS}
# Restarting either of these invalidates every client connection and watch of the
# others, so when one of them is gone the whole plane is started afresh.
CORE = ("etcd", "kube-apiserver")


class PlaneError(RuntimeError):
    pass


class ComponentFailed(PlaneError):
    def __init__(self, component: str, log: Path, reason: str) -> None:
        tail = procs.log_tail(log)
        super().__init__(
            f"{component} failed to start: {reason}\n"
            f"  its log: {log}\n" + ("  last lines:\n" + _indent(tail) if tail else "")
        )
        self.component = component
        self.log = log


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def default_state_dir() -> Path:
    override = os.environ.get("BERTH_DEVCLUSTER_DIR")
    return Path(override).expanduser().resolve() if override else REPO_ROOT / ".devcluster"


def _say(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


@dataclass
class State:
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, ProcRecord] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ports": self.ports, "procs": {k: v.to_json() for k, v in self.procs.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        return cls(
            ports={k: int(v) for k, v in data.get("ports", {}).items()},
            procs={k: ProcRecord.from_json(v) for k, v in data.get("procs", {}).items()},
        )


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    endpoint: str
    log: Path
    rss_kib: int
    # The real node's components are optional where the machine cannot run it.
    optional: bool = False


@dataclass(frozen=True)
class UpResult:
    kubeconfig: Path
    server: str
    started: tuple[str, ...]
    reused: tuple[str, ...]
    seconds: float
    real_node: str | None = None
    real_node_reason: str | None = None


class Plane:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = (directory or default_state_dir()).resolve()
        self.pki = PKI(self.dir / "pki")
        self.logs_dir = self.dir / "logs"
        self.etcd_data = self.dir / "etcd"
        self.kubeconfig = self.dir / "kubeconfig"
        self.kubeconfigs_dir = self.dir / "kubeconfigs"
        self.kwok_dir = self.dir / "kwok"
        self.pod_logs_dir = self.dir / "pod-logs"
        self.state_file = self.dir / "state.json"
        self.lock_file = self.dir / "lock"
        self.node = node.RealNode(self)

    # -- state ----------------------------------------------------------------------

    def load_state(self) -> State:
        try:
            return State.from_json(json.loads(self.state_file.read_text()))
        except FileNotFoundError:
            return State()
        except (ValueError, KeyError, TypeError) as exc:
            raise PlaneError(
                f"{self.state_file} is unreadable ({exc}); remove it after checking no plane runs"
            ) from exc

    def _save_state(self, state: State) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
        tmp.replace(self.state_file)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Two `up`s at once (two terminals, or pytest next to `make dev`) must not both
        # start a plane: the second waits, then finds the first one's plane running.
        self.dir.mkdir(parents=True, exist_ok=True)
        with self.lock_file.open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def server(self, state: State | None = None) -> str:
        state = state or self.load_state()
        port = state.ports.get("kube-apiserver")
        if port is None:
            raise PlaneError("the devcluster has never been started here; run `python -m devcluster up`")
        return f"https://{LOOPBACK}:{port}"

    def running(self, state: State | None = None) -> set[str]:
        state = state or self.load_state()
        return {name for name, rec in state.procs.items() if procs.is_running(rec)}

    def log_path(self, component: str) -> Path:
        return self.logs_dir / f"{component}.log"

    # -- clients --------------------------------------------------------------------

    def admin_client(self) -> client.ApiClient:
        return kube.admin_client(self.server(), self.pki)

    def token_client(self, user: str) -> client.ApiClient:
        return kube.token_client(self.server(), self.pki, self.pki.tokens()[user])

    def impersonating_client(self, user: str, groups: tuple[str, ...] | list[str] = ()) -> client.ApiClient:
        return kube.impersonating_client(self.server(), self.pki, user, groups)

    # -- up -------------------------------------------------------------------------

    def up(self, *, probe: bool = True, build_node: bool = True) -> UpResult:
        began = time.monotonic()
        binaries = build.ensure_binaries()
        with self._locked():
            state = self.load_state()
            running = self.running(state)
            # Records of processes that have exited are history: forget them, or the
            # liveness checks below would report those as failures of this start.
            for name in [n for n in state.procs if n not in running]:
                del state.procs[name]
            self._save_state(state)
            if running and not all(name in running for name in CORE):
                missing = " and ".join(n for n in CORE if n not in running)
                _say(f"{missing} not running: restarting the whole plane")
                plane = [name for name in running if name in BY_NAME]
                self._stop(state, sorted(plane, key=_order, reverse=True))
                running = {name for name in running if name not in BY_NAME}
            if self.pki.ensure():
                _say(f"generated certificates, keys and tokens in {self.pki.dir}")
                if running:
                    # Processes still running hold the old certificates: start afresh.
                    self._node_stop(state)
                    plane = [name for name in running if name in BY_NAME]
                    self._stop(state, sorted(plane, key=_order, reverse=True))
                    running = set()
            self._write_kwok_config()
            started: list[str] = []
            try:
                for component in COMPONENTS:
                    if component.name in running:
                        continue
                    if component.name == "kwok":
                        self._release_node_leases()
                    self._start(component, binaries, state)
                    started.append(component.name)
                    if component.name == "kube-apiserver":
                        self._write_kubeconfigs(state)
                        self._install_kwok_crds()
                if "kube-apiserver" not in started:
                    self._write_kubeconfigs(state)  # cheap, and repairs a deleted file
                self._ensure_nodes()
                self._wait_ready(probe=probe and bool(started))
                started += self._node_up(state, probe=probe, build_node=build_node)
            except BaseException:
                # A half-started plane is no use to anyone: stop all of it.
                self._node_stop(state)
                self._stop(state, [node.REGISTRY.name, *(c.name for c in reversed(COMPONENTS))])
                raise
            reused = tuple(c.name for c in (*COMPONENTS, *node.ALL) if c.name not in started)
            reused = tuple(name for name in reused if name in self.running(state))
            reason = self.node.reason()
            return UpResult(
                self.kubeconfig,
                self.server(state),
                tuple(started),
                reused,
                time.monotonic() - began,
                real_node=None if reason else self.node.name,
                real_node_reason=reason,
            )

    def env(self) -> dict[str, str]:
        """What `python -m devcluster env` prints: where Berth finds the cluster, the
        registry, the router and the images, and whether pods run for real."""
        state = self.load_state()
        reason = self.node.reason()
        running = self.running(state)
        router = state.ports.get("router") if "traefik" in running else None
        if not reason and not all(c.name in running for c in node.NODE_COMPONENTS):
            reason = "not running (python -m devcluster up)"
        refs = self.node.image_refs(state, on_node=not reason)
        keys = (
            "PACKAGE_INDEX",
            "GIT_SERVER",
            "GIT_ROOT",
            "IMAGE_REGISTRY",
            "REGISTRY_TOKEN_KEY",
            "REGISTRY_TOKEN_ISSUER",
            "REGISTRY_TOKEN_SERVICE",
            "REGISTRY_TOKEN_UPSTREAM",
            "REGISTRY_TOKEN_REALM",
        )
        on_node = (
            dict.fromkeys(keys, "")
            if reason
            else {
                # Where build pods install packages from and clone from, on the bridge.
                "PACKAGE_INDEX": self.node.endpoint("packages", state),
                "GIT_SERVER": self.node.endpoint("git", state),
                "GIT_ROOT": str(self.node.git_root),
                # Projects' images, and what Berth needs to be its token service.
                "IMAGE_REGISTRY": self.node.image_registry_address(state) or "",
                "REGISTRY_TOKEN_KEY": str(self.node.token_pair().key),
                "REGISTRY_TOKEN_ISSUER": node.REGISTRY_ISSUER,
                "REGISTRY_TOKEN_SERVICE": node.REGISTRY_SERVICE,
                "REGISTRY_TOKEN_UPSTREAM": str(self.node.token_upstream_file),
                # Where registry clients (build pods, the kubelet) ask Berth for tokens.
                "REGISTRY_TOKEN_REALM": self.node.endpoint("gateway", state),
            }
        )
        return {
            "KUBECONFIG": str(self.kubeconfig),
            # Berth's processes each act with their own identity (deploy/rbac.yaml).
            **{
                f"KUBECONFIG_{process.upper()}": str(self.kubeconfigs_dir / f"berth-{process}.kubeconfig")
                for process in ("web", "actions", "builds")
            },
            "REGISTRY": refs.registry if refs else "",
            "ROUTER_URL": f"http://{LOOPBACK}:{router}" if router else "",
            "APPS_DOMAIN": node.APPS_DOMAIN,
            "PYTHON_IMAGE": refs.python if refs else "",
            "POSTGRESQL_IMAGE": refs.postgresql if refs else "",
            "REDIS_IMAGE": refs.redis if refs else "",
            "BUILDER_IMAGE": refs.builder if refs else "",
            **on_node,
            "REAL_NODE": "" if reason else self.node.name,
            "REAL_NODE_REASON": reason or "",
        }

    # -- the real node ----------------------------------------------------------------

    def node_up(self, *, probe: bool = True) -> str | None:
        """Start the real node (and the registry) on a running plane; the reason it is
        unavailable, or None."""
        with self._locked():
            state = self.load_state()
            if not all(name in self.running(state) for name in CORE):
                raise PlaneError("the plane is not running; run `python -m devcluster up`")
            self._node_up(state, probe=probe)
            return self.node.reason()

    def node_down(self) -> list[str]:
        """Stop the real node and undo its changes to the host; the plane runs on."""
        with self._locked():
            return self._node_stop(self.load_state())

    def _node_up(self, state: State, *, probe: bool, build_node: bool = False) -> list[str]:
        started: list[str] = []
        if node.REGISTRY.name not in self.running(state):
            if shutil.which("docker-registry"):
                self._start(node.REGISTRY, {node.REGISTRY.name: self.node.binary("registry")}, state)
                started.append(node.REGISTRY.name)
            else:
                self._node_unavailable(
                    state, "docker-registry is not installed (run tools/system-deps.sh as root)"
                )
                return started
        reason = self.node.precondition()
        if reason:
            self._node_unavailable(state, reason)
            return started
        running = self.running(state)
        if all(c.name in running for c in node.NODE_COMPONENTS):
            # Images remade since (a new recipe) are pushed; the rest is a HEAD request each.
            self.node.refs = self.node.push_images(state)
            self.node.reason_file.unlink(missing_ok=True)
            return started
        try:
            if build_node:
                build.ensure_node_binaries()
                images.ensure_all()
                packages.ensure()
            elif build.node_missing():
                raise node.NodeUnavailable(
                    f"{', '.join(build.node_missing())} not built: run `python -m devcluster build`"
                )
            started += self._node_start(state, probe=probe)
        except Exception as exc:  # whatever breaks the node, the plane carries on
            text = str(exc).strip() or type(exc).__name__
            if isinstance(exc, ApiException):
                text = f"the API server answered {exc.status} {exc.reason}"
            first = text.splitlines()[0]
            log = f" (log: {exc.log})" if isinstance(exc, ComponentFailed) else ""
            self._node_unavailable(state, first + log)
            return [name for name in started if name == node.REGISTRY.name]
        self.node.reason_file.unlink(missing_ok=True)
        return started

    def _node_start(self, state: State, *, probe: bool) -> list[str]:
        began = time.monotonic()
        real = self.node
        binaries = {c.name: real.binary(c.name) for c in node.NODE_COMPONENTS if c.name != "containerd"}
        binaries["containerd"] = real.binary("containerd")
        # Leftovers of a start that died half way (a crash, a kill -9) go first, and a
        # real node registered under another name (the host was renamed) with them.
        self._node_stop(state)
        self.node.delete_stale_node_objects(self.admin_client())
        real.take_snapshot()
        for component in node.NODE_COMPONENTS:
            self._choose_ports(component, state, fresh=False)
        self._save_state(state)
        real.prepare_host(state)
        real.refs = real.push_images(state)
        api = self.admin_client()
        real.write_configs(state, real.refs)
        real.apply_cluster_objects(api)
        core = client.CoreV1Api(api)
        started: list[str] = []
        for component in node.NODE_COMPONENTS:
            self._start(component, binaries, state)
            started.append(component.name)
            if component.name == "kubelet":

                def ready() -> bool:
                    try:
                        return _node_ready(core.read_node(real.name))
                    except ApiException as exc:
                        if exc.status == 404:
                            return False
                        raise

                self._wait(f"real node {real.name} Ready", ready, 90, state)
                # From now on a pod nobody sent to kwok runs for real.
                real.set_fake_node_taints(api, NODE_NAMES, tainted=True)
        if probe:
            key, value = placement.REAL_NODE_LABEL
            self._probe_workload(
                api,
                where="the real node",
                image=real.refs.pause,
                placement_fields={"nodeSelector": {key: value}},
                timeout=60,
            )
        _say(f"real node {real.name} up in {time.monotonic() - began:.1f}s")
        return started

    def _node_unavailable(self, state: State, reason: str) -> None:
        _say(f"real node: unavailable — {reason}")
        self._node_stop(state)
        self.node.dir.mkdir(parents=True, exist_ok=True)
        self.node.reason_file.write_text(reason + "\n")

    def _node_stop(self, state: State) -> list[str]:
        """Stop the node's processes (by pid) and undo its host changes; the fake nodes
        take every pod again."""
        stopped = self._stop(state, [c.name for c in reversed(node.NODE_COMPONENTS)])
        undone = self.node.restore_host()
        for line in undone:
            _say(f"real node down: {line}")
        if all(name in self.running(state) for name in CORE):
            with contextlib.suppress(ApiException, OSError, PlaneError):
                api = self.admin_client()
                self.node.set_fake_node_taints(api, NODE_NAMES, tainted=False)
                if stopped:
                    self.node.delete_node_object(api)
        return stopped

    def _start(self, component: Component, binaries: dict[str, Path], state: State) -> None:
        log = self.log_path(component.name)
        attempts = 3
        for attempt in range(1, attempts + 1):
            self._choose_ports(component, state, fresh=attempt > 1)
            offset = log.stat().st_size if log.exists() else 0
            began = time.monotonic()
            try:
                record = procs.start(
                    binaries[component.name], self._args(component.name, state), log, self._env(component)
                )
            except OSError as exc:
                raise ComponentFailed(
                    component.name, log, f"cannot run {binaries[component.name]}: {exc}"
                ) from exc
            state.procs[component.name] = record
            self._save_state(state)
            try:
                self._wait_healthy(component, state)
            except ComponentFailed as failed:
                procs.stop(record)
                if failed.component == component.name and attempt < attempts and _port_clash(log, offset):
                    _say(f"{component.name}: a port was taken meanwhile; trying other ports")
                    continue
                raise
            endpoint = self._endpoint(component.name, state)
            _say(
                f"{component.name} ready on {endpoint} in {time.monotonic() - began:.1f}s (pid {record.pid})"
            )
            return

    def _choose_ports(self, component: Component, state: State, *, fresh: bool) -> None:
        taken = {port for name, port in state.ports.items() if name not in component.ports}
        for name in component.ports:
            port = state.ports.get(name)
            # Keep a component's port across restarts when it is free: etcd records its
            # peer URL in its data, and open kubeconfigs name the apiserver's port.
            if fresh or port is None or port in taken or not procs.port_free(port):
                port = procs.free_port(avoid=taken)
            state.ports[name] = port
            taken.add(port)

    def _env(self, component: Component) -> dict[str, str]:
        if component.name in node.BY_NAME:
            return self.node.env(component.name)
        if component.name == "kwok":
            # kwok also loads ~/.kwok/kwok.yaml when present; pointing its work dir into
            # the state directory keeps a user's own kwok setup out of the devcluster.
            return {"KWOK_WORKDIR": str(self.kwok_dir)}
        return {}

    def _args(self, name: str, state: State) -> list[str]:
        if name in node.BY_NAME:
            if name != node.REGISTRY.name:
                # Ports may have changed since the configuration files were written.
                refs = self.node.refs or self.node.image_refs(state)
                if refs:
                    self.node.write_configs(state, refs)
            return self.node.args(name, state)
        p = state.ports
        pki = self.pki
        kcfg = self.kubeconfigs_dir
        if name == "etcd":
            client_url = f"http://{LOOPBACK}:{p['etcd-client']}"
            peer_url = f"http://{LOOPBACK}:{p['etcd-peer']}"
            return [
                "--name=devcluster",
                f"--data-dir={self.etcd_data}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=devcluster={peer_url}",
                # A throwaway development store: durability is not worth the fsyncs.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ]
        if name == "kube-apiserver":
            return [
                f"--etcd-servers=http://{LOOPBACK}:{p['etcd-client']}",
                f"--bind-address={LOOPBACK}",
                f"--advertise-address={LOOPBACK}",
                # The `kubernetes` Service's endpoints would be 127.0.0.1, which Endpoints
                # validation rejects (a logged error every 10s). Nothing may use service IPs
                # here anyway, so the Service is left without endpoints.
                "--endpoint-reconciler-type=none",
                f"--secure-port={p['kube-apiserver']}",
                f"--tls-cert-file={pki.pair('apiserver').cert}",
                f"--tls-private-key-file={pki.pair('apiserver').key}",
                f"--client-ca-file={pki.ca.cert}",
                "--authorization-mode=Node,RBAC",
                f"--token-auth-file={pki.token_csv}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki.sa_public}",
                f"--service-account-signing-key-file={pki.sa_private}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                # The real node's kubelet listens on 127.0.0.1 only, and kubelet refuses a
                # loopback node IP: the apiserver reaches it by its host name, which
                # resolves to 127.0.0.1. kwok's nodes have Hostname "localhost".
                "--kubelet-preferred-address-types=Hostname,InternalIP",
                f"--kubelet-certificate-authority={pki.ca.cert}",
                f"--kubelet-client-certificate={pki.pair('apiserver-kubelet-client').cert}",
                f"--kubelet-client-key={pki.pair('apiserver-kubelet-client').key}",
                # The two Pod* plugins let a namespace send its pods to the fake nodes
                # (devcluster.placement).
                "--enable-admission-plugins=NodeRestriction,PodNodeSelector,PodTolerationRestriction",
                "--allow-privileged=true",
                "--profiling=false",
            ]
        if name == "kube-controller-manager":
            return [
                f"--kubeconfig={kcfg / 'kube-controller-manager.kubeconfig'}",
                f"--bind-address={LOOPBACK}",
                f"--secure-port={p['kube-controller-manager']}",
                f"--tls-cert-file={pki.pair('kube-controller-manager-serving').cert}",
                f"--tls-private-key-file={pki.pair('kube-controller-manager-serving').key}",
                "--controllers=*",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki.sa_private}",
                f"--root-ca-file={pki.ca.cert}",
                f"--cluster-signing-cert-file={pki.ca.cert}",
                f"--cluster-signing-key-file={pki.ca.key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--profiling=false",
            ]
        if name == "kube-scheduler":
            return [
                f"--kubeconfig={kcfg / 'kube-scheduler.kubeconfig'}",
                f"--bind-address={LOOPBACK}",
                f"--secure-port={p['kube-scheduler']}",
                f"--tls-cert-file={pki.pair('kube-scheduler-serving').cert}",
                f"--tls-private-key-file={pki.pair('kube-scheduler-serving').key}",
                "--leader-elect=false",
                "--profiling=false",
            ]
        if name == "kwok":
            return [
                f"--kubeconfig={kcfg / 'kwok.kubeconfig'}",
                f"--config={self.kwok_dir / 'stages.yaml'}",
                f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                f"--node-ip={LOOPBACK}",
                f"--node-port={p['kwok']}",
                # Without this kwok would listen on 0.0.0.0:<node-port>.
                f"--server-address={LOOPBACK}:{p['kwok']}",
                f"--tls-cert-file={pki.pair('kwok-serving').cert}",
                f"--tls-private-key-file={pki.pair('kwok-serving').key}",
                f"--cidr={POD_CIDR}",
                # Lease-based heartbeats, matching the heartbeat stage we load.
                "--node-lease-duration-seconds=40",
                f"--enable-crds={','.join(KWOK_CRDS)}",
            ]
        raise KeyError(name)

    def _endpoint(self, name: str, state: State) -> str:
        if name in node.BY_NAME:
            return self.node.endpoint(name, state)
        port = state.ports.get(BY_NAME[name].ports[0])
        if port is None:
            return "-"
        scheme = "http" if name == "etcd" else "https"
        return f"{scheme}://{LOOPBACK}:{port}"

    def _write_kwok_config(self) -> None:
        self.kwok_dir.mkdir(parents=True, exist_ok=True)
        docs = [path.read_text().strip() for path in sorted(build.stages_dir().glob("*.yaml"))]
        if not docs:
            raise PlaneError(f"no kwok stages in {build.stages_dir()}; run `python -m devcluster build`")
        (self.kwok_dir / "stages.yaml").write_text("\n---\n".join(docs) + "\n")

    def _write_kubeconfigs(self, state: State) -> None:
        server = self.server(state)
        kube.write_kubeconfig(self.kubeconfig, kube.kubeconfig_dict(server, self.pki, "admin", cert="admin"))
        for component in ("kube-controller-manager", "kube-scheduler", "kwok"):
            config = kube.kubeconfig_dict(server, self.pki, component, cert=component)
            kube.write_kubeconfig(self.kubeconfigs_dir / f"{component}.kubeconfig", config)
        tokens = self.pki.tokens()
        for user in IDENTITIES:
            config = kube.kubeconfig_dict(server, self.pki, user, token=tokens[user])
            kube.write_kubeconfig(self.kubeconfigs_dir / f"{user}.kubeconfig", config)

    # -- health ---------------------------------------------------------------------

    def _https_ok(self, port: int, path: str, *, client_cert: bool = False) -> bool:
        context = ssl.create_default_context(cafile=str(self.pki.ca.cert))
        if client_cert:
            admin = self.pki.pair("admin")
            context.load_cert_chain(str(admin.cert), str(admin.key))
        conn = http.client.HTTPSConnection(LOOPBACK, port, timeout=3, context=context)
        return _get_ok(conn, path)

    def _probe(self, name: str, state: State) -> bool:
        if name in node.BY_NAME:
            return self.node.probe(name, state)
        p = state.ports
        if name == "etcd":
            conn = http.client.HTTPConnection(LOOPBACK, p["etcd-client"], timeout=3)
            return _get_ok(conn, "/health", expect=b'"health":"true"')
        if name == "kube-apiserver":
            return self._https_ok(p["kube-apiserver"], "/readyz", client_cert=True)
        return self._https_ok(p[BY_NAME[name].ports[0]], "/healthz")

    def _check_alive(self, state: State) -> None:
        for name, record in state.procs.items():
            procs.reap(record)
            if not procs.is_running(record):
                raise ComponentFailed(name, Path(record.log), "the process exited")

    def _wait_healthy(self, component: Component, state: State) -> None:
        deadline = time.monotonic() + component.start_timeout
        while True:
            self._check_alive(state)
            if self._probe(component.name, state):
                return
            if time.monotonic() > deadline:
                raise ComponentFailed(
                    component.name,
                    self.log_path(component.name),
                    f"not healthy after {component.start_timeout:.0f}s",
                )
            time.sleep(0.25)

    def _wait(self, what: str, check: Callable[[], bool], timeout: float, state: State | None = None) -> None:
        state = state or self.load_state()
        deadline = time.monotonic() + timeout
        began = time.monotonic()
        while True:
            self._check_alive(state)
            try:
                if check():
                    _say(f"{what} ({time.monotonic() - began:.1f}s)")
                    return
            except ApiException as exc:
                if exc.status not in (404, 409, 500, 503, 0):
                    raise
            if time.monotonic() > deadline:
                raise PlaneError(
                    f"timed out after {timeout:.0f}s waiting for: {what}; logs are in {self.logs_dir}"
                )
            time.sleep(0.25)

    # -- bootstrap objects ----------------------------------------------------------

    def _install_kwok_crds(self) -> None:
        ext = client.ApiextensionsV1Api(self.admin_client())
        names = []
        for path in sorted(build.crds_dir().glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if not doc:
                    continue
                names.append(doc["metadata"]["name"])
                try:
                    ext.create_custom_resource_definition(doc)
                except ApiException as exc:
                    if exc.status != 409:
                        raise
                    ext.patch_custom_resource_definition(doc["metadata"]["name"], doc)

        def established() -> bool:
            for name in names:
                crd = ext.read_custom_resource_definition(name)
                conditions = (crd.status.conditions or []) if crd.status else []
                if not any(c.type == "Established" and c.status == "True" for c in conditions):
                    return False
            return True

        self._wait(f"kwok CRDs established ({len(names)})", established, 60)

    def _ensure_nodes(self) -> None:
        core = client.CoreV1Api(self.admin_client())
        existing = {node.metadata.name for node in core.list_node().items}
        for index, name in enumerate(NODE_NAMES):
            if name not in existing:
                core.create_node(_node_manifest(name, zone=f"zone-{'abc'[index % 3]}"))
            else:
                # Nodes made before the real node existed named themselves as Hostname.
                found = core.read_node(name)
                addresses = [{"type": a.type, "address": a.address} for a in found.status.addresses or []]
                if addresses != KWOK_NODE_ADDRESSES:
                    core.patch_node_status(name, {"status": {"addresses": KWOK_NODE_ADDRESSES}})

        def ready() -> bool:
            nodes = {n.metadata.name: n for n in core.list_node().items}
            return all(name in nodes and _node_ready(nodes[name]) for name in NODE_NAMES)

        self._wait(f"{len(NODE_NAMES)} fake nodes Ready", ready, 90)

    def _release_node_leases(self) -> None:
        """Delete the fake nodes' leases a previous kwok held.

        A new kwok only manages pods on nodes whose lease it holds; finding leases left
        by its predecessor it fails to create its own and retries ~20s later, and pods
        stay Pending meanwhile.
        """
        coordination = client.CoordinationV1Api(self.admin_client())
        for name in NODE_NAMES:
            try:
                coordination.delete_namespaced_lease(name, "kube-node-lease")
            except ApiException as exc:
                if exc.status != 404:
                    raise

    def _wait_ready(self, *, probe: bool) -> None:
        api = self.admin_client()
        rbac = client.RbacAuthorizationV1Api(api)

        def aggregated() -> bool:
            # The clusterrole-aggregation controller fills these in; until it has,
            # every RoleBinding to them grants nothing.
            return all(rbac.read_cluster_role(name).rules for name in ("admin", "edit", "view"))

        self._wait("admin/edit/view ClusterRoles aggregated", aggregated, 90)
        if probe:
            self._probe_workload(api)

    def _probe_workload(
        self,
        api: client.ApiClient,
        *,
        where: str = "a fake node",
        image: str = "registry.invalid/probe:1",
        placement_fields: dict[str, Any] | None = None,
        timeout: float = 90,
    ) -> None:
        """A fresh namespace gets its default ServiceAccount, and a pod in it is scheduled
        onto ``where`` and reaches Running: the whole chain works."""
        core = client.CoreV1Api(api)
        namespace = f"devcluster-probe-{secrets.token_hex(3)}"
        core.create_namespace({"metadata": {"name": namespace}})
        try:
            self._wait(
                "default ServiceAccount in a new namespace",
                lambda: core.read_namespaced_service_account("default", namespace) is not None,
                90,
            )
            fields = placement.fake_pod_spec_fields() if placement_fields is None else placement_fields
            pod = {
                "metadata": {"name": "probe"},
                "spec": {
                    "containers": [{"name": "probe", "image": image}],
                    "terminationGracePeriodSeconds": 0,
                    **fields,
                },
            }
            self._wait("probe pod created", lambda: _create_pod(core, namespace, pod), 30)
            self._wait(
                f"probe pod Running on {where}",
                lambda: core.read_namespaced_pod("probe", namespace).status.phase == "Running",
                timeout,
            )
        finally:
            with contextlib.suppress(ApiException):
                core.delete_namespace(namespace)

    # -- down / status --------------------------------------------------------------

    def down(self, *, purge: bool = False) -> list[str]:
        with self._locked():
            state = self.load_state()
            stopped = self._node_stop(state)
            stopped += self._stop(state, [node.REGISTRY.name, *(c.name for c in reversed(COMPONENTS))])
            if purge:
                self._purge()
            return stopped

    def stop_components(self, names: list[str]) -> list[str]:
        """Stop only these components (those a pytest session started itself)."""
        with self._locked():
            state = self.load_state()
            stopped = []
            if any(name in names for name in (c.name for c in node.NODE_COMPONENTS)):
                stopped += self._node_stop(state)
            if node.REGISTRY.name in names:
                stopped += self._stop(state, [node.REGISTRY.name])
            plane = [name for name in names if name not in node.BY_NAME]
            return stopped + self._stop(state, sorted(plane, key=_order, reverse=True))

    def _stop(self, state: State, names: list[str]) -> list[str]:
        stopped = []
        for name in names:
            record = state.procs.get(name)
            if record is None:
                continue
            if procs.stop(record):
                stopped.append(name)
            del state.procs[name]
            self._save_state(state)
        return stopped

    def _purge(self) -> None:
        # Remove only what `up` creates, never the directory wholesale: it may be a
        # directory the user pointed BERTH_DEVCLUSTER_DIR at.
        for sub in (
            self.pki.dir,
            self.logs_dir,
            self.etcd_data,
            self.kubeconfigs_dir,
            self.kwok_dir,
            self.pod_logs_dir,
            self.node.dir,
            self.node.registry_dir,
            self.node.volumes_dir,
        ):
            shutil.rmtree(sub, ignore_errors=True)
        for path in (self.kubeconfig, self.state_file, self.lock_file):
            path.unlink(missing_ok=True)  # the lock file too: flock holds the open file, not the name

    def status(self) -> list[ComponentStatus]:
        state = self.load_state()
        result = []
        optional = bool(self.node.reason())
        for component in (*COMPONENTS, *node.ALL):
            record = state.procs.get(component.name)
            running = record is not None and procs.is_running(record)
            result.append(
                ComponentStatus(
                    name=component.name,
                    running=running,
                    pid=record.pid if record else None,
                    endpoint=self._endpoint(component.name, state),
                    log=self.log_path(component.name),
                    rss_kib=procs.rss_kib(record) if record and running else 0,
                    optional=optional and component in node.NODE_COMPONENTS,
                )
            )
        return result


def _order(name: str) -> int:
    return [c.name for c in COMPONENTS].index(name)


def _get_ok(conn: http.client.HTTPConnection, path: str, expect: bytes | None = None) -> bool:
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return response.status == 200 and (expect is None or expect in body)


def _port_clash(log: Path, offset: int) -> bool:
    try:
        with log.open("rb") as fh:
            fh.seek(offset)
            return b"address already in use" in fh.read()
    except OSError:
        return False


def _create_pod(core: client.CoreV1Api, namespace: str, pod: dict[str, Any]) -> bool:
    try:
        core.create_namespaced_pod(namespace, pod)
    except ApiException as exc:
        if exc.status == 409:
            return True
        # Until the ServiceAccount admission plugin's cache sees the new namespace's
        # default ServiceAccount it refuses pods with 403 "error looking up service account".
        if exc.status == 403 and "service account" in (exc.body or ""):
            return False
        raise
    return True


def _node_ready(node: client.V1Node) -> bool:
    conditions = (node.status.conditions or []) if node.status else []
    tainted = any(t.key == "node.kubernetes.io/not-ready" for t in (node.spec.taints or []))
    return not tainted and any(c.type == "Ready" and c.status == "True" for c in conditions)


def _node_manifest(name: str, zone: str) -> dict[str, Any]:
    # A small but realistic worker: kwok keeps whatever capacity the node was created
    # with, so the scheduler's resource fitting behaves as on a real cluster.
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "devcluster.standard-4",
                "topology.kubernetes.io/zone": zone,
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110", "ephemeral-storage": "95Gi"},
            "addresses": KWOK_NODE_ADDRESSES,
        },
    }
