"""The real node: containerd + runc + kubelet run pods for real, next to kwok's fake
nodes; kube-proxy, CoreDNS and Traefik make Services, cluster DNS and Ingresses work;
a registry on 127.0.0.1 holds the images made from Debian's packages.

Everything the node changes on the host is recorded before it starts
(``node/host-before.json``) and undone by ``down``: processes (by pid), container
processes and shims of our containerd, mounts under our directories and kubelet's,
the bridge and its veths, the blackhole routes, iptables/nftables tables, sysctls,
the ``kubepods`` cgroups and the ``/var`` and ``/run`` paths kubelet and containerd
create.

Safety: the real node's pods get addresses on our own bridge (``berth0``,
``10.201.0.0/24``). kwok's pod range and the service range are blackholed so that
kube-proxy's rules and Traefik never send a packet to one of kwok's made-up pod
addresses out of the host's default route (kube-proxy's DNAT happens before routing,
so Services of real pods still work). Everything listens on 127.0.0.1, except
CoreDNS, which listens on the bridge's gateway address for the pods.
"""

from __future__ import annotations

import contextlib
import difflib
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from devcluster import build, images, kube, packages, placement, volumes
from devcluster.pki import LOOPBACK_SANS, SERVICE_CIDR, LeafSpec
from devcluster.procs import LOOPBACK, Component

if TYPE_CHECKING:
    from devcluster.plane import Plane, State

BRIDGE = "berth0"
NODE_SUBNET = "10.201.0.0/24"
GATEWAY = "10.201.0.1"
# kwok's made-up pod addresses (plane.POD_CIDR) and the service range: no packet to
# them may leave the host.
BLACKHOLES = ("10.244.0.0/16", SERVICE_CIDR)
CLUSTER_DOMAIN = "cluster.local"
ISOLATE_INPUT = "BERTH-DEVCLUSTER-INPUT"
ISOLATE_FORWARD = "BERTH-DEVCLUSTER-FORWARD"
APPS_DOMAIN = "apps.localhost"
INGRESS_CLASS = "berth"
CNI_BIN = Path("/usr/lib/cni")
SAMPLES = Path(__file__).with_name("samples")

REGISTRY = Component("registry", ("registry",), 30)
# The integrated registry's token auth (distribution's token spec): who signs, for whom.
REGISTRY_ISSUER = "berth-registry-token-issuer"
REGISTRY_SERVICE = "berth-registry"
NODE_COMPONENTS: tuple[Component, ...] = (
    # On the gateway address, for pods: the package index and Git server builds read,
    # and the registry (forwarded to its 127.0.0.1 port).
    Component("packages", ("packages",), 30),
    Component("git", ("git",), 30),
    # Projects' images: a second registry whose token service is Berth (see below).
    Component("image-registry", ("image-registry",), 30),
    Component("gateway", ("registry-realm",), 30),
    Component("containerd", (), 60),
    Component("kubelet", ("kubelet", "kubelet-healthz"), 60),
    Component("kube-proxy", ("kube-proxy-healthz", "kube-proxy-metrics"), 60),
    Component("coredns", ("coredns-health", "coredns-ready"), 60),
    Component("traefik", ("router", "router-ping"), 60),
    # The provisioner of the default storage class (devcluster/volumes.py).
    Component("volumes", (), 30),
)
ALL = (REGISTRY, *NODE_COMPONENTS)
BY_NAME = {c.name: c for c in ALL}

# Sysctls kubelet (vm.*, kernel.*), the bridge plugin (ip_forward) or we may change.
SYSCTLS = (
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet",
    "net.ipv6.conf.all.forwarding",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
)
# Values that change by themselves from one second to the next.
VOLATILE_SYSCTLS = (
    "fs.dentry-state",
    "fs.file-nr",
    "fs.inode-nr",
    "fs.inode-state",
    "fs.aio-nr",
    "kernel.ns_last_pid",
    "kernel.random.uuid",
    "kernel.random.entropy_avail",
    "kernel.pty.nr",
    "net.netfilter.nf_conntrack_count",
    "fs.quota.syncs",
)
# Paths kubelet, containerd and the CNI plugins create whatever their configuration.
HOST_PATHS = (
    "/var/lib/kubelet",
    "/var/log/pods",
    "/var/log/containers",
    "/run/containerd",
    "/var/lib/containerd",
    "/var/lib/cni",
    "/run/runc",
    "/etc/cni",
    "/opt/cni",
)
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Which checkout's real node is up on this host (written by `up`, removed by `down`).
OWNER_RECORD = Path("/run/berth-devcluster/real-node.json")


class NodeUnavailable(RuntimeError):
    """The machine cannot run the real node; the message is the one-line reason."""


def _say(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


def _run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, input=input)
    if check and proc.returncode != 0:
        raise NodeUnavailable(f"`{' '.join(args)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def node_name() -> str:
    """The host's name when it resolves to 127.0.0.1 only (the apiserver reaches kubelet
    by the node's name, and kubelet listens on 127.0.0.1 only), else ``localhost``."""
    name = socket.gethostname().split(".")[0].lower()
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        resolved = set()
    valid = re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) is not None
    return name if valid and resolved == {"127.0.0.1"} else "localhost"


# -- host state ---------------------------------------------------------------------------


def _sysctl_text() -> str:
    return _run("sysctl", "-a", check=False).stdout


def _steady_sysctls(text: str) -> str:
    keep = [line for line in text.splitlines() if line.split(" = ")[0] not in VOLATILE_SYSCTLS]
    return "\n".join(sorted(keep))


def _tables(save: str) -> list[str]:
    return [line[1:].strip() for line in save.splitlines() if line.startswith("*")]


def _normal_iptables(save: str) -> str:
    # Packet counters and the generator's comment lines change on their own.
    lines = []
    for line in save.splitlines():
        if line.startswith("#"):
            continue
        lines.append(re.sub(r"\[\d+:\d+\]", "[0:0]", line))
    return "\n".join(lines)


def _mounts() -> str:
    rows = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        fields, tail = left.split(), right.split()
        rows.append(f"{fields[4]} {tail[0]} {tail[1]} {fields[5]}")
    return "\n".join(sorted(rows))


def _cgroups() -> list[str]:
    found = []
    if CGROUP_ROOT.is_dir():
        for hierarchy in sorted(CGROUP_ROOT.iterdir()):
            for name in ("kubepods", "kubepods.slice"):
                if (hierarchy / name).is_dir():
                    found.append(str(hierarchy / name))
    return found


def _cmdlines() -> list[bytes]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                found.append((proc / "cmdline").read_bytes())
    return found


def host_state() -> dict[str, Any]:
    """What `up` may change on the host, normalised so that two snapshots of an
    unchanged host compare equal."""
    return {
        "sysctl": _sysctl_text(),
        "sysctls": {key: _run("sysctl", "-n", key, check=False).stdout.strip() for key in SYSCTLS},
        "iptables": _run("iptables-save", check=False).stdout if shutil.which("iptables-save") else "",
        "ip6tables": _run("ip6tables-save", check=False).stdout if shutil.which("ip6tables-save") else "",
        "nft": _run("nft", "list", "tables", check=False).stdout if shutil.which("nft") else "",
        "links": "\n".join(
            sorted(
                re.sub(r"^\d+: ", "", line) for line in _run("ip", "-o", "link", "show").stdout.splitlines()
            )
        ),
        "routes": _run("ip", "route", "show", "table", "all").stdout,
        "routes6": re.sub(r"expires \d+sec", "", _run("ip", "-6", "route", "show", "table", "all").stdout),
        "mounts": _mounts(),
        "paths": {path: os.path.lexists(path) for path in HOST_PATHS},
        "cgroups": _cgroups(),
        "boot_id": Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
    }


def comparable(state: dict[str, Any]) -> dict[str, str]:
    """The parts of a host state a test compares: `sysctl -a`, `iptables-save`,
    `ip link`, the routes and the mount table (counters and comments dropped)."""
    return {
        "sysctl -a": _steady_sysctls(state["sysctl"]),
        "iptables-save": _normal_iptables(state["iptables"]),
        "ip6tables-save": _normal_iptables(state["ip6tables"]),
        "nft list tables": state["nft"],
        "ip link": state["links"],
        "ip route": state["routes"],
        "ip -6 route": state["routes6"],
        "mounts": state["mounts"],
        "paths": json.dumps(state["paths"], sort_keys=True),
        "cgroups": json.dumps(state["cgroups"]),
    }


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Unified-diff lines for every part of two `comparable` states that differs."""
    lines: list[str] = []
    for what in before:
        if before[what] != after.get(what):
            diff = difflib.unified_diff(
                before[what].splitlines(), after.get(what, "").splitlines(), what, what, lineterm="", n=0
            )
            lines += list(diff)
    return lines


@dataclass(frozen=True)
class Images:
    registry: str
    pause: str
    python: str
    postgresql: str
    redis: str
    builder: str


class RealNode:
    def __init__(self, plane: Plane) -> None:
        self.plane = plane
        self.dir = plane.dir / "node"
        self.config_dir = self.dir / "config"
        # Everything the runtime writes; removed whole by `down`.
        self.run_dir = self.dir / "run"
        self.registry_dir = plane.dir / "registry"
        self.snapshot_file = self.dir / "host-before.json"
        self.reason_file = self.dir / "unavailable"
        self.name = node_name()
        self.refs: Images | None = None

    # -- paths --------------------------------------------------------------------------

    @property
    def containerd_socket(self) -> Path:
        return self.run_dir / "containerd.sock"

    def kubeconfig(self, who: str) -> Path:
        return self.plane.kubeconfigs_dir / f"{who}.kubeconfig"

    # -- availability -------------------------------------------------------------------

    def precondition(self) -> str | None:
        """Why this machine cannot run the real node, or None."""
        if os.environ.get("BERTH_DEVCLUSTER_REAL_NODE", "1") == "0":
            return "turned off (BERTH_DEVCLUSTER_REAL_NODE=0)"
        if os.geteuid() != 0:
            return f"not root (uid {os.geteuid()}): containerd, kubelet and the bridge need root"
        if "overlay" not in Path("/proc/filesystems").read_text():
            return "the kernel has no overlayfs"
        for program in ("containerd", "containerd-shim-runc-v2", "runc", "iptables", "ip", "nft"):
            if not shutil.which(program):
                return f"`{program}` is not installed (run tools/system-deps.sh as root)"
        if not (CNI_BIN / "bridge").is_file():
            return f"the CNI plugins are not in {CNI_BIN} (Debian's containernetworking-plugins)"
        if not Path("/proc/self/ns/net").exists():
            return "no network namespaces"
        ours = self.snapshot_file.exists() and not self.load_snapshot().get("restored")
        if Path(f"/sys/class/net/{BRIDGE}").exists() and not ours:
            return f"a network interface {BRIDGE} exists already ({self._other_owner()})"
        if _cgroups() and not ours:
            return f"{_cgroups()[0]} exists: another kubelet runs on this host"
        return self._network_clash()

    def _other_owner(self) -> str:
        """Whose real node holds the bridge, from the host-wide record ``up`` leaves."""
        try:
            owner = json.loads(OWNER_RECORD.read_text())["dir"]
        except (FileNotFoundError, ValueError, KeyError):
            return "another devcluster's real node?"
        plane_dir = str(Path(owner).parent)
        running = any(plane_dir.encode() in cmdline for cmdline in _cmdlines())
        if running:
            return f"the real node of the devcluster in {plane_dir} runs: `make cluster-down` there stops it"
        if Path(owner).exists():
            return f"left by the devcluster in {plane_dir}, now stopped: `make cluster-down` there undoes it"
        return f"left by a devcluster in {plane_dir}, since deleted: a reboot clears what it left"

    def _network_clash(self) -> str | None:
        """A host route or interface that overlaps the addresses the node uses."""
        ours = [ipaddress.ip_network(NODE_SUBNET), *(ipaddress.ip_network(b) for b in BLACKHOLES)]
        route_types = {
            "blackhole",
            "local",
            "broadcast",
            "unreachable",
            "prohibit",
            "throw",
            "unicast",
            "anycast",
        }
        for line in _run("ip", "-o", "-4", "route", "show", "table", "all").stdout.splitlines():
            words = line.split()
            if words[0] in route_types:
                kind, words = words[0], words[1:]
            else:
                kind = "unicast"
            if not words or words[0] == "default" or f"dev {BRIDGE}" in line:
                continue
            if kind == "blackhole" and words[0] in BLACKHOLES:
                continue  # ours, left by a start that did not finish
            try:
                network = ipaddress.ip_network(words[0], strict=False)
            except ValueError:
                continue
            for mine in ours:
                if network.overlaps(mine):
                    return f"the host already routes {network}, which overlaps {mine} the devcluster needs"
        return None

    def load_snapshot(self) -> dict[str, Any]:
        try:
            return json.loads(self.snapshot_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def reason(self) -> str | None:
        try:
            return self.reason_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    # -- images -------------------------------------------------------------------------

    def registry_address(self, state: State, *, on_node: bool = False) -> str | None:
        """The registry on 127.0.0.1, or (``on_node``) where pods, the kubelet and the
        host all reach it: the gateway address, forwarded to 127.0.0.1."""
        port = state.ports.get("registry")
        return f"{GATEWAY if on_node else LOOPBACK}:{port}" if port else None

    def image_refs(self, state: State, *, on_node: bool = True) -> Images | None:
        registry = self.registry_address(state, on_node=on_node)
        if registry is None:
            return None
        ref = images.reference
        return Images(
            registry,
            ref(images.PAUSE, registry),
            ref(images.PYTHON, registry),
            ref(images.POSTGRESQL, registry),
            ref(images.REDIS, registry),
            ref(images.BUILDER, registry),
        )

    @property
    def volumes_dir(self) -> Path:
        """The directories of the volumes the storage class gives (kept by `down`)."""
        return self.plane.dir / "volumes"

    @property
    def git_root(self) -> Path:
        """The Git server's repositories (``<name>.git``); the host pushes to them by path."""
        return self.plane.dir / "git"

    def seed_samples(self) -> None:
        """Each app in ``devcluster/samples/`` as a repository of the Git server (once),
        so a new `make dev` has something to import from Git."""
        for sample in sorted(SAMPLES.iterdir()):
            bare = self.git_root / f"{sample.name}.git"
            if bare.exists() or not sample.is_dir():
                continue
            with tempfile.TemporaryDirectory(prefix="sample-") as tmp:
                work = Path(tmp) / "work"
                shutil.copytree(sample, work)
                git = ["git", "-c", "user.name=Berth", "-c", "user.email=devcluster@berth.local"]
                _run(*git, "init", "-q", "-b", "main", str(work))
                _run(*git, "-C", str(work), "add", ".")
                _run(*git, "-C", str(work), "commit", "-q", "-m", f"The {sample.name} sample")
                _run("git", "clone", "-q", "--bare", str(work), str(bare))

    def push_images(self, state: State) -> Images:
        registry = self.registry_address(state)
        assert registry
        began = time.monotonic()
        for spec in images.IMAGES:
            images.push(spec, registry)
        _say(f"images in the registry {registry} ({time.monotonic() - began:.1f}s)")
        refs = self.image_refs(state)
        assert refs
        return refs

    # -- the integrated registry ------------------------------------------------------

    @property
    def token_upstream_file(self) -> Path:
        """Where whoever runs Berth writes its ``host:port``: the registry's token realm
        on the gateway forwards there."""
        return self.plane.dir / "registry-token-upstream"

    def token_pair(self):
        """The key Berth signs registry tokens with; the registry trusts its certificate."""
        return self.plane.pki.ensure_leaf(LeafSpec("registry-token", REGISTRY_ISSUER, client=True))

    def image_registry_address(self, state: State) -> str | None:
        port = state.ports.get("image-registry")
        return f"{GATEWAY}:{port}" if port else None

    def write_image_registry_config(self, state: State) -> Path:
        """Distribution's token auth: every pull and push needs a token from the realm,
        Berth's ``/registry/token``, signed with the key of :meth:`token_pair`."""
        directory = self.plane.dir / "image-registry"
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text"},
            "storage": {"filesystem": {"rootdirectory": str(directory)}, "delete": {"enabled": True}},
            "http": {"addr": f"{LOOPBACK}:{state.ports['image-registry']}"},
            "auth": {
                "token": {
                    "realm": f"http://{GATEWAY}:{state.ports['registry-realm']}/registry/token",
                    "service": REGISTRY_SERVICE,
                    "issuer": REGISTRY_ISSUER,
                    "rootcertbundle": str(self.token_pair().cert),
                }
            },
        }
        path = self.config_dir / "image-registry.yaml"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # -- configuration ------------------------------------------------------------------

    def write_registry_config(self, state: State) -> Path:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.registry_dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text"},
            "storage": {
                "filesystem": {"rootdirectory": str(self.registry_dir)},
                "delete": {"enabled": True},
            },
            "http": {"addr": f"{LOOPBACK}:{state.ports['registry']}"},
        }
        # Auth is pluggable: a file <state>/registry-auth.yaml holding a distribution
        # `auth:` section (htpasswd or token) is used as is.
        auth = self.plane.dir / "registry-auth.yaml"
        if auth.is_file():
            config["auth"] = yaml.safe_load(auth.read_text())
        path = self.config_dir / "registry.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def _leaves(self) -> dict[str, LeafSpec]:
        return {
            "kubelet": LeafSpec("node-kubelet", f"system:node:{self.name}", ("system:nodes",), client=True),
            "kubelet-serving": LeafSpec(
                "node-kubelet-serving", self.name, server=True, sans=(f"DNS:{self.name}", *LOOPBACK_SANS)
            ),
            "kube-proxy": LeafSpec("node-kube-proxy", "system:kube-proxy", client=True),
            "coredns": LeafSpec("node-coredns", "devcluster:coredns", client=True),
            "traefik": LeafSpec("node-router", "devcluster:router", client=True),
            "volumes": LeafSpec("node-volumes", "devcluster:volumes", client=True),
        }

    def write_configs(self, state: State, refs: Images) -> None:
        pki = self.plane.pki
        server = self.plane.server(state)
        leaves = self._leaves()
        for who, leaf in leaves.items():
            pki.ensure_leaf(leaf)
            if who != "kubelet-serving":
                config = kube.kubeconfig_dict(server, pki, leaf.common_name, cert=leaf.name)
                kube.write_kubeconfig(self.kubeconfig(f"node-{who}"), config)
        for sub in ("containerd/root", "containerd/state", "runc", "kubelet", "pod-logs", "cni-ipam"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        cfg = self.config_dir
        (cfg / "cni").mkdir(parents=True, exist_ok=True)
        for registry in (refs.registry, self.image_registry_address(state)):
            certs_d = cfg / "certs.d" / str(registry)
            certs_d.mkdir(parents=True, exist_ok=True)
            _write_if_changed(
                certs_d / "hosts.toml",
                f'server = "http://{registry}"\n\n'
                f'[host."http://{registry}"]\n  capabilities = ["pull", "resolve"]\n',
            )
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        _write_if_changed(
            cfg / "containerd.toml",
            f"""version = 2
root = "{self.run_dir / "containerd/root"}"
state = "{self.run_dir / "containerd/state"}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{self.containerd_socket}"

[ttrpc]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{self.run_dir / "containerd/opt"}"

[{cri}]
  sandbox_image = "{refs.pause}"
  # runc cannot lower a container's oom_score_adj here (no CAP_SYS_RESOURCE in the
  # bounding set): without this every sandbox fails to start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "{self.run_dir / "runc"}"

[{cri}.cni]
  bin_dir = "{CNI_BIN}"
  conf_dir = "{cfg / "cni"}"
  max_conf_num = 1

[{cri}.registry]
  config_path = "{cfg / "certs.d"}"
""",
        )
        _write_if_changed(
            cfg / "cni" / "10-berth.conflist",
            json.dumps(
                {
                    "cniVersion": "1.0.0",
                    "name": "berth",
                    "plugins": [
                        {
                            "type": "bridge",
                            "bridge": BRIDGE,
                            "isGateway": True,
                            "ipMasq": False,
                            "hairpinMode": True,
                            "ipam": {
                                "type": "host-local",
                                "ranges": [[{"subnet": NODE_SUBNET, "gateway": GATEWAY}]],
                                "routes": [{"dst": "0.0.0.0/0"}],
                                "dataDir": str(self.run_dir / "cni-ipam"),
                            },
                        }
                    ],
                },
                indent=2,
            ),
        )
        p = state.ports
        kubelet_config = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": LOOPBACK,
            "port": p["kubelet"],
            "readOnlyPort": 0,
            "healthzBindAddress": LOOPBACK,
            "healthzPort": p["kubelet-healthz"],
            "tlsCertFile": str(pki.pair("node-kubelet-serving").cert),
            "tlsPrivateKeyFile": str(pki.pair("node-kubelet-serving").key),
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(pki.ca.cert)},
            },
            "authorization": {"mode": "Webhook"},
            "containerRuntimeEndpoint": f"unix://{self.containerd_socket}",
            "cgroupDriver": "cgroupfs",
            # This machine kind has cgroup v1 (hybrid); kubelet 1.36 refuses it otherwise.
            "failCgroupV1": False,
            "failSwapOn": False,
            "clusterDNS": [GATEWAY],
            "clusterDomain": CLUSTER_DOMAIN,
            "podLogsDir": str(self.run_dir / "pod-logs"),
            "serializeImagePulls": False,
            "registerNode": True,
            "maxPods": 110,
            "staticPodPath": "",
            "enableDebuggingHandlers": True,
            "imageGCHighThresholdPercent": 95,
            "imageGCLowThresholdPercent": 90,
            # A development machine's disk is often fuller than a server's: evict late.
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "2%",
                "imagefs.available": "2%",
            },
            "nodeStatusReportFrequency": "10s",
            "shutdownGracePeriod": "0s",
        }
        _write_if_changed(cfg / "kubelet.yaml", yaml.safe_dump(kubelet_config, sort_keys=False))
        proxy_config = {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(self.kubeconfig("node-kube-proxy"))},
            "mode": "iptables",
            "bindAddress": LOOPBACK,
            "healthzBindAddress": f"{LOOPBACK}:{p['kube-proxy-healthz']}",
            "metricsBindAddress": f"{LOOPBACK}:{p['kube-proxy-metrics']}",
            "hostnameOverride": self.name,
            "clusterCIDR": NODE_SUBNET,
            # Zeros leave the host's conntrack settings alone.
            "conntrack": {
                "maxPerCore": 0,
                "min": 0,
                "tcpEstablishedTimeout": "0s",
                "tcpCloseWaitTimeout": "0s",
            },
            # NodePorts only on the bridge's gateway, and not on 127.0.0.1 (that needs
            # the route_localnet sysctl).
            "iptables": {"localhostNodePorts": False},
            "nodePortAddresses": [f"{GATEWAY}/32"],
        }
        _write_if_changed(cfg / "kube-proxy.yaml", yaml.safe_dump(proxy_config, sort_keys=False))
        _write_if_changed(
            cfg / "Corefile",
            f""".:53 {{
    bind {GATEWAY}
    errors
    health {LOOPBACK}:{p["coredns-health"]}
    ready {LOOPBACK}:{p["coredns-ready"]}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {self.kubeconfig("node-coredns")}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 10
}}
""",
        )

    # -- processes ----------------------------------------------------------------------

    def args(self, name: str, state: State) -> list[str]:
        p = state.ports
        cfg = self.config_dir
        if name == "registry":
            return ["serve", str(self.write_registry_config(state))]
        if name == "containerd":
            return ["--config", str(cfg / "containerd.toml"), "--log-level", "warn"]
        if name == "kubelet":
            label = "=".join(placement.REAL_NODE_LABEL)
            return [
                f"--config={cfg / 'kubelet.yaml'}",
                f"--kubeconfig={self.kubeconfig('node-kubelet')}",
                f"--root-dir={self.run_dir / 'kubelet'}",
                f"--hostname-override={self.name}",
                f"--node-labels={label},type=real",
                "--v=1",
            ]
        if name == "kube-proxy":
            return [f"--config={cfg / 'kube-proxy.yaml'}", "--v=1"]
        if name == "coredns":
            return ["-conf", str(cfg / "Corefile")]
        if name == "packages":
            root = packages.ensure()
            return ["-m", "http.server", "--bind", GATEWAY, "--directory", str(root), str(p["packages"])]
        if name == "git":
            self.git_root.mkdir(parents=True, exist_ok=True)
            self.seed_samples()
            # Read-only (no receive-pack): pods clone; the host pushes by path.
            return [
                "daemon",
                "--reuseaddr",
                f"--listen={GATEWAY}",
                f"--port={p['git']}",
                f"--base-path={self.git_root}",
                "--export-all",
                "--informative-errors",
                "--max-connections=64",
                str(self.git_root),
            ]
        if name == "image-registry":
            return ["serve", str(self.write_image_registry_config(state))]
        if name == "volumes":
            return [
                "-m",
                "devcluster.volumes",
                f"--kubeconfig={self.kubeconfig('node-volumes')}",
                f"--node={self.name}",
                f"--root={self.volumes_dir}",
                f"--ready-file={self.run_dir / 'volumes.ready'}",
            ]
        if name == "gateway":
            forwards = [f"{GATEWAY}:{p[key]}={LOOPBACK}:{p[key]}" for key in ("registry", "image-registry")]
            forwards.append(f"{GATEWAY}:{p['registry-realm']}=@{self.token_upstream_file}")
            return ["-m", "devcluster.forward", *forwards]
        if name == "traefik":
            return [
                f"--entryPoints.web.address={LOOPBACK}:{p['router']}",
                f"--entryPoints.traefik.address={LOOPBACK}:{p['router-ping']}",
                "--ping=true",
                "--ping.entryPoint=traefik",
                "--api=false",
                "--providers.kubernetesingress=true",
                "--providers.kubernetesingress.ingressclass=" + INGRESS_CLASS,
                "--global.checkNewVersion=false",
                "--global.sendAnonymousUsage=false",
                "--log.level=INFO",
            ]
        raise KeyError(name)

    def env(self, name: str) -> dict[str, str]:
        if name in ("gateway", "volumes"):
            return {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        if name == "traefik":
            # Out of the cluster Traefik reads $KUBECONFIG.
            return {"KUBECONFIG": str(self.kubeconfig("node-traefik"))}
        return {}

    def binary(self, name: str) -> Path:
        if name in ("registry", "image-registry"):
            found = shutil.which("docker-registry")
        elif name == "containerd":
            found = shutil.which("containerd")
        elif name in ("packages", "gateway", "volumes"):
            found = sys.executable
        elif name == "git":
            found = shutil.which("git")
        else:
            found = str(build.find_binary(name) or "")
        if not found:
            raise NodeUnavailable(f"{name} is not installed or built")
        return Path(found)

    def probe(self, name: str, state: State) -> bool:
        p = state.ports
        if name == "registry":
            return _http_ok(p["registry"], "/v2/")
        if name == "containerd":
            with socket.socket(socket.AF_UNIX) as sock:
                try:
                    sock.connect(str(self.containerd_socket))
                except OSError:
                    return False
            return True
        if name == "kubelet":
            return _http_ok(p["kubelet-healthz"], "/healthz")
        if name == "kube-proxy":
            return _http_ok(p["kube-proxy-healthz"], "/healthz")
        if name == "coredns":
            return _http_ok(p["coredns-ready"], "/ready")
        if name == "traefik":
            return _http_ok(p["router-ping"], "/ping")
        if name == "packages":
            return _http_ok(p["packages"], "/simple/", host=GATEWAY)
        if name == "git":
            with socket.socket() as sock:
                sock.settimeout(2)
                return sock.connect_ex((GATEWAY, p["git"])) == 0
        if name == "image-registry":
            return _http_ok(p["image-registry"], "/v2/", ok=(401,))  # it wants a token: it runs
        if name == "gateway":
            return _http_ok(p["registry"], "/v2/", host=GATEWAY)
        if name == "volumes":
            # Written by that very process after its first look at the claims.
            record = state.procs.get(name)
            ready = self.run_dir / "volumes.ready"
            return record is not None and ready.exists() and ready.read_text() == str(record.pid)
        raise KeyError(name)

    def endpoint(self, name: str, state: State) -> str:
        p = state.ports
        return {
            "registry": f"http://{LOOPBACK}:{p.get('registry')}",
            "containerd": f"unix://{self.containerd_socket}",
            "kubelet": f"https://{LOOPBACK}:{p.get('kubelet')}",
            "kube-proxy": f"http://{LOOPBACK}:{p.get('kube-proxy-healthz')}",
            "coredns": f"dns://{GATEWAY}:53",
            "traefik": f"http://{LOOPBACK}:{p.get('router')}",
            "packages": f"http://{GATEWAY}:{p.get('packages')}/simple/",
            "git": f"git://{GATEWAY}:{p.get('git')}/",
            "image-registry": f"http://{GATEWAY}:{p.get('image-registry')}",
            "gateway": f"http://{GATEWAY}:{p.get('registry-realm')}/registry/token",
            "volumes": f"storage class {volumes.CLASS}: {self.volumes_dir}",
        }[name]

    # -- host changes -------------------------------------------------------------------

    def take_snapshot(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.snapshot_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(host_state(), indent=1))
        tmp.replace(self.snapshot_file)
        # Host-wide (/run: gone with a reboot, as the changes are): whose node this is,
        # for another checkout's `up` to name when it finds the bridge taken.
        OWNER_RECORD.parent.mkdir(parents=True, exist_ok=True)
        OWNER_RECORD.write_text(json.dumps({"dir": str(self.dir)}))

    def prepare_host(self, state: State) -> None:
        if not Path(f"/sys/class/net/{BRIDGE}").exists():
            _run("ip", "link", "add", BRIDGE, "type", "bridge")
        addrs = _run("ip", "-o", "addr", "show", "dev", BRIDGE).stdout
        if f" {GATEWAY}/" not in addrs:
            _run("ip", "addr", "add", f"{GATEWAY}/{NODE_SUBNET.split('/')[1]}", "dev", BRIDGE)
        _run("ip", "link", "set", BRIDGE, "up")
        routes = _run("ip", "route", "show", "type", "blackhole").stdout
        for cidr in BLACKHOLES:
            if cidr not in routes:
                _run("ip", "route", "add", "blackhole", cidr)
        self._isolate_bridge(state)
        # A pod reaching a Service whose endpoint is on the same bridge needs its reply
        # to pass iptables (to be un-DNATed); the bridge plugin also turns this on.
        for key in ("net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward"):
            _run("sysctl", "-qw", f"{key}=1")

    def _isolate_bridge(self, state: State) -> None:
        """Pods talk to each other, to Services and to the DNS server on the gateway,
        and answer the host; nothing else. No packet of theirs is forwarded to another
        interface (no egress), none from elsewhere is forwarded to them, and host ports
        other than DNS, the registry, the package index and the Git server are closed
        to them."""
        opened = [
            state.ports[name] for name in ("registry", "image-registry", "registry-realm", "packages", "git")
        ]
        rules = {
            ISOLATE_INPUT: [
                ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                ["-d", GATEWAY, "-p", "udp", "--dport", "53", "-j", "ACCEPT"],
                ["-d", GATEWAY, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"],
                *(["-d", GATEWAY, "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"] for port in opened),
                ["-j", "REJECT"],
            ],
            ISOLATE_FORWARD: [
                ["-i", BRIDGE, "!", "-o", BRIDGE, "-j", "REJECT"],
                ["!", "-i", BRIDGE, "-o", BRIDGE, "-j", "REJECT"],
            ],
        }
        for chain, chain_rules in rules.items():
            if _run("iptables", "-w", "-n", "-L", chain, check=False).returncode == 0:
                _run("iptables", "-w", "-F", chain)
            else:
                _run("iptables", "-w", "-N", chain)
            for rule in chain_rules:
                _run("iptables", "-w", "-A", chain, *rule)
        for hook, chain, match in (
            ("INPUT", ISOLATE_INPUT, ["-i", BRIDGE]),
            ("FORWARD", ISOLATE_FORWARD, []),
        ):
            if _run("iptables", "-w", "-C", hook, *match, "-j", chain, check=False).returncode != 0:
                _run("iptables", "-w", "-I", hook, "1", *match, "-j", chain)

    def restore_host(self) -> list[str]:
        """Undo what the node did to the host, measured against the snapshot. Safe to
        run any number of times, also after a start that failed half way."""
        undone: list[str] = []
        before = self.load_snapshot()
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        # Only a record of this boot that was not undone yet means the host carries our
        # changes; otherwise just our own directories are cleaned, never the host's
        # (another devcluster's node, another kubelet, later changes by anyone).
        ours = bool(before) and not before.get("restored") and before.get("boot_id", boot_id) == boot_id
        self._kill_containers(undone, with_pods=ours and not before.get("cgroups"))
        self._unmount(undone, host_paths=ours)
        if not ours:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            return undone
        self._remove_links(before, undone)
        self._remove_routes(before, undone)
        self._restore_iptables(before, undone)
        self._restore_sysctls(before, undone)
        self._remove_cgroups(before, undone)
        self._remove_paths(before, undone)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        before["restored"] = True
        self.snapshot_file.write_text(json.dumps(before, indent=1))
        with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
            if json.loads(OWNER_RECORD.read_text())["dir"] == str(self.dir):
                OWNER_RECORD.unlink()
                if not any(OWNER_RECORD.parent.iterdir()):
                    OWNER_RECORD.parent.rmdir()
        return undone

    def _our_pids(self, *, with_pods: bool) -> list[int]:
        """Our containerd's shims and, when the kubepods cgroups are ours, the
        container processes in them."""
        pids: set[int] = set()
        for top in _cgroups() if with_pods else []:
            for procs_file in Path(top).rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(x) for x in procs_file.read_text().split())
        socket_path = str(self.containerd_socket)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                cmdline
                and cmdline[0].endswith(b"containerd-shim-runc-v2")
                and socket_path.encode() in cmdline
            ):
                pids.add(int(proc.name))
        pids.discard(os.getpid())
        return sorted(pids)

    def _kill_containers(self, undone: list[str], *, with_pods: bool) -> None:
        # The kubepods cgroups are ours only if they did not exist before the node started
        # (precondition() refuses to start next to another kubelet's).
        deadline = time.monotonic() + 15
        killed = 0
        while pids := self._our_pids(with_pods=with_pods):
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            if time.monotonic() > deadline:
                raise RuntimeError(f"container processes would not die: {pids}")
            time.sleep(0.1)
        if killed:
            undone.append(f"killed {killed} container processes and shims")

    def _unmount(self, undone: list[str], *, host_paths: bool) -> None:
        roots = [f"{self.run_dir}/"]
        if host_paths:
            roots += ["/run/containerd/", "/var/lib/kubelet/", "/run/netns/cni-"]
        for _ in range(5):
            targets = []
            for line in Path("/proc/self/mountinfo").read_text().splitlines():
                point = line.split()[4].replace("\\040", " ")
                if any((point + "/").startswith(root) for root in roots):
                    targets.append(point)
            if not targets:
                return
            for point in sorted(set(targets), key=len, reverse=True):
                if _run("umount", point, check=False).returncode != 0:
                    _run("umount", "-l", point, check=False)
            undone.append(f"unmounted {len(set(targets))} mounts")

    def _remove_links(self, before: dict[str, Any], undone: list[str]) -> None:
        links = _run("ip", "-o", "link", "show").stdout.splitlines()
        # veths whose peer is in a pod: gone with the pods' namespaces, unless a netns leaked.
        for line in links:
            name = line.split(": ")[1].split("@")[0]
            if f"master {BRIDGE} " in line and f"{name}" not in before.get("links", ""):
                _run("ip", "link", "delete", name, check=False)
                undone.append(f"deleted {name}")
        if Path(f"/sys/class/net/{BRIDGE}").exists() and f"{BRIDGE}:" not in before.get("links", ""):
            _run("ip", "link", "delete", BRIDGE, check=False)
            undone.append(f"deleted bridge {BRIDGE}")

    def _remove_routes(self, before: dict[str, Any], undone: list[str]) -> None:
        for cidr in BLACKHOLES:
            ours = f"blackhole {cidr}" not in before.get("routes", "")
            if ours and _run("ip", "route", "del", "blackhole", cidr, check=False).returncode == 0:
                undone.append(f"removed route blackhole {cidr}")

    def _restore_iptables(self, before: dict[str, Any], undone: list[str]) -> None:
        """Remove exactly the chains kubelet, kube-proxy and we added (KUBE-*, BERTH-*)
        and the rules jumping to them, then the tables that did not exist before and are
        empty now. Rules anyone else added meanwhile stay."""
        for family, key, command in (("ip", "iptables", "iptables"), ("ip6", "ip6tables", "ip6tables")):
            if not shutil.which(f"{command}-save"):
                continue
            now = _run(f"{command}-save", check=False).stdout
            kept = _without_our_chains(now)
            if kept != now:
                _run(f"{command}-restore", "-w", input=kept)
                undone.append(f"removed KUBE-*/BERTH-* chains from {key}")
            after = _run(f"{command}-save", check=False).stdout
            nf_tables = "nf_tables" in _run(command, "--version").stdout
            for table in set(_tables(after)) - set(_tables(before.get(key, ""))):
                if nf_tables and _table_is_empty(after, table):
                    _run("nft", "delete", "table", family, table, check=False)
                    undone.append(f"removed empty {family} table {table}")

    def _restore_sysctls(self, before: dict[str, Any], undone: list[str]) -> None:
        for key, value in before.get("sysctls", {}).items():
            if not value:
                continue
            now = _run("sysctl", "-n", key, check=False).stdout.strip()
            if now and now != value:
                _run("sysctl", "-qw", f"{key}={value}", check=False)
                undone.append(f"{key} {now} -> {value}")

    def _remove_cgroups(self, before: dict[str, Any], undone: list[str]) -> None:
        for top in _cgroups():
            if top in before.get("cgroups", []):
                continue
            # Leaves first: a cgroup directory can only go once it has no children.
            for directory in sorted(
                (p for p in Path(top).rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            ):
                with contextlib.suppress(OSError):
                    directory.rmdir()
            with contextlib.suppress(OSError):
                Path(top).rmdir()
                undone.append(f"removed cgroup {top}")

    def _remove_paths(self, before: dict[str, Any], undone: list[str]) -> None:
        for path, existed in before.get("paths", {}).items():
            if not existed and os.path.lexists(path):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
                undone.append(f"removed {path}")

    # -- cluster objects ----------------------------------------------------------------

    def apply_cluster_objects(self, api: client.ApiClient) -> None:
        rbac = client.RbacAuthorizationV1Api(api)
        read = ["get", "list", "watch"]
        roles = {
            "devcluster:coredns": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": read,
                },
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
            ],
            "devcluster:router": [
                {
                    "apiGroups": [""],
                    "resources": ["services", "endpoints", "secrets", "nodes"],
                    "verbs": read,
                },
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
                {
                    "apiGroups": ["networking.k8s.io"],
                    "resources": ["ingresses", "ingressclasses"],
                    "verbs": read,
                },
                {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses/status"], "verbs": ["update"]},
            ],
            "devcluster:volumes": volumes.rules(),
        }
        for name, rules in roles.items():
            role = {"metadata": {"name": name}, "rules": rules}
            binding = {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}],
            }
            _apply(rbac.create_cluster_role, rbac.replace_cluster_role, name, role)
            _apply(rbac.create_cluster_role_binding, rbac.replace_cluster_role_binding, name, binding)
        net = client.NetworkingV1Api(api)
        ingress_class = {
            "metadata": {
                "name": INGRESS_CLASS,
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "traefik.io/ingress-controller"},
        }
        _apply(net.create_ingress_class, net.replace_ingress_class, INGRESS_CLASS, ingress_class)
        storage = client.StorageV1Api(api)
        # A storage class's provisioner and binding mode cannot change: made once.
        with contextlib.suppress(ApiException):
            storage.create_storage_class(volumes.storage_class())

    def set_fake_node_taints(
        self, api: client.ApiClient, fake_names: tuple[str, ...], *, tainted: bool
    ) -> None:
        core = client.CoreV1Api(api)
        for name in fake_names:
            try:
                node = core.read_node(name)
            except ApiException as exc:
                if exc.status == 404:
                    continue
                raise
            taints = [t for t in (node.spec.taints or []) if t.key != placement.FAKE_NODE_TAINT["key"]]
            body = [{"key": t.key, "value": t.value, "effect": t.effect} for t in taints]
            if tainted:
                body.append(dict(placement.FAKE_NODE_TAINT))
            if len(body) != len(node.spec.taints or []) or tainted != any(
                t.key == placement.FAKE_NODE_TAINT["key"] for t in (node.spec.taints or [])
            ):
                core.patch_node(name, {"spec": {"taints": body}})

    def delete_stale_node_objects(self, api: client.ApiClient) -> None:
        core = client.CoreV1Api(api)
        selector = "=".join(placement.REAL_NODE_LABEL)
        for stale in core.list_node(label_selector=selector).items:
            if stale.metadata.name != self.name:
                with contextlib.suppress(ApiException):
                    core.delete_node(stale.metadata.name)

    def delete_node_object(self, api: client.ApiClient) -> None:
        with contextlib.suppress(ApiException):
            client.CoreV1Api(api).delete_node(self.name)


OUR_CHAINS = re.compile(r"^(KUBE-|BERTH-DEVCLUSTER-)")


def _without_our_chains(save: str) -> str:
    """iptables-save output without our chains and the rules that use them."""
    lines = []
    for line in save.splitlines():
        words = line.split()
        if line.startswith(":") and OUR_CHAINS.match(line[1:]):
            continue
        if line.startswith("-A ") and (
            OUR_CHAINS.match(words[1])
            or any(
                w in ("-j", "-g") and i + 1 < len(words) and OUR_CHAINS.match(words[i + 1])
                for i, w in enumerate(words)
            )
        ):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _table_is_empty(save: str, table: str) -> bool:
    """Only built-in chains with policy ACCEPT and no rule."""
    inside = False
    for line in save.splitlines():
        if line.startswith("*"):
            inside = line[1:].strip() == table
        elif inside and (line.startswith("-A ") or (line.startswith(":") and " ACCEPT " not in line)):
            return False
    return True


def _write_if_changed(path: Path, text: str) -> None:
    # kube-proxy exits when its configuration file changes, even to the same content.
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def _apply(create: Any, replace: Any, name: str, body: dict[str, Any]) -> None:
    try:
        create(body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        replace(name, body)


def _http_ok(port: int, path: str, *, host: str = LOOPBACK, ok: tuple[int, ...] = ()) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=3)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status == 200 or response.status in ok
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
