"""Find or build the control-plane binaries (kube-apiserver, kube-controller-manager,
kube-scheduler, etcd, kwok).

Lookup order: ``KUBEBUILDER_ASSETS``, ``BERTH_K8S_BIN``, the build cache, PATH.
Anything missing is built from the Go module proxy into a cache outside the
repository, keyed by version, so a second run costs nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

K8S_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"

COREDNS_VERSION = "v1.15.0"
# v3.7 requires a nested module (traefik/dynamic/ext) that its module zip and the proxy
# do not serve; v3.6 builds from the proxy alone.
TRAEFIK_VERSION = "v3.6.12"

K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
BINARIES = (*K8S_COMMANDS, "etcd", "kwok")
# The real node's binaries: built only by `build` (and `up`) when the node can run.
NODE_K8S_COMMANDS = ("kubelet", "kube-proxy")
NODE_BINARIES = (*NODE_K8S_COMMANDS, "coredns", "traefik")


class BuildError(RuntimeError):
    pass


def cache_root() -> Path:
    base = os.environ.get("BERTH_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return (root / "berth" if not os.environ.get("BERTH_CACHE") else root).resolve()


def bin_dir() -> Path:
    return cache_root() / f"k8s-{K8S_VERSION}-etcd-{ETCD_VERSION}-kwok-{KWOK_VERSION}" / "bin"


def node_bin_dir(name: str) -> Path:
    """kubelet and kube-proxy live beside the plane's binaries (same Kubernetes build);
    CoreDNS and Traefik in directories keyed by their own versions."""
    if name in NODE_K8S_COMMANDS:
        return bin_dir()
    version = {"coredns": COREDNS_VERSION, "traefik": TRAEFIK_VERSION}[name]
    return cache_root() / f"{name}-{version}" / "bin"


def stages_dir() -> Path:
    return bin_dir().parent / "stages"


def _candidate_dirs() -> list[Path]:
    dirs = [os.environ.get("KUBEBUILDER_ASSETS"), os.environ.get("BERTH_K8S_BIN")]
    return [Path(d) for d in dirs if d] + [bin_dir()]


def find_binary(name: str) -> Path | None:
    dirs = _candidate_dirs()
    if name in NODE_BINARIES:
        dirs = [*dirs[:-1], node_bin_dir(name)]
    for directory in dirs:
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    return Path(found) if found else None


def missing() -> list[str]:
    return [name for name in BINARIES if find_binary(name) is None]


def node_missing() -> list[str]:
    return [name for name in NODE_BINARIES if find_binary(name) is None]


def _log(message: str) -> None:
    print(f"[devcluster build] {message}", file=sys.stderr, flush=True)


def _go() -> str:
    go = shutil.which("go")
    if not go:
        raise BuildError(
            "Go is needed to build the control plane binaries, and `go` is not on PATH. "
            "Install Go 1.26+ (https://go.dev/dl/ or your distribution's golang package), "
            "or point KUBEBUILDER_ASSETS / BERTH_K8S_BIN at a directory holding " + ", ".join(BINARIES) + "."
        )
    return go


def _run(args: list[str], cwd: Path, what: str, extra_env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", **(extra_env or {})}
    started = time.monotonic()
    _log(f"{what}: {' '.join(args)}")
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(_explain_failure(what, proc.stderr))
    _log(f"{what}: done in {time.monotonic() - started:.0f}s")
    return proc.stdout


def _explain_failure(what: str, stderr: str) -> str:
    # The proxy's refusals name the module and version; surface those lines first.
    lines = stderr.strip().splitlines()
    proxy = [line for line in lines if "proxy" in line or "not found" in line or "@v" in line]
    shown = proxy[:10] or lines[-25:]
    return f"{what} failed:\n" + "\n".join(shown)


def _k8s_staging_modules(go: str, work: Path) -> list[str]:
    out = _run(
        [go, "mod", "download", "-json", f"k8s.io/kubernetes@{K8S_VERSION}"], work, "fetch k8s.io/kubernetes"
    )
    gomod = Path(json.loads(out)["GoMod"]).read_text()
    return sorted({line.split("=>")[0].strip() for line in gomod.splitlines() if "=> ./staging/" in line})


def _build_kubernetes(go: str, out: Path, commands: tuple[str, ...] = K8S_COMMANDS) -> None:
    work = bin_dir().parent / "src" / "kubernetes"
    work.mkdir(parents=True, exist_ok=True)
    minor = K8S_VERSION.lstrip("v").split(".")
    staging_version = f"v0.{minor[1]}.{minor[2]}"
    if not (work / "go.mod").exists():
        (work / "go.mod").write_text("module berth.local/k8sbuild\n\ngo 1.26.0\n")
    modules = _k8s_staging_modules(go, work)
    replaces = "\n".join(f"\t{m} => {m} {staging_version}" for m in modules)
    (work / "go.mod").write_text(
        "module berth.local/k8sbuild\n\ngo 1.26.0\n\n"
        f"require k8s.io/kubernetes {K8S_VERSION}\n\nreplace (\n{replaces}\n)\n"
    )
    pkg = "k8s.io/component-base/version"
    ldflags = (
        f"-s -w -X {pkg}.gitVersion={K8S_VERSION} -X {pkg}.gitMajor={minor[0]} "
        f"-X {pkg}.gitMinor={minor[1]} -X {pkg}.gitTreeState=clean"
    )
    _run([go, "mod", "download", "all"], work, f"download modules for Kubernetes {K8S_VERSION}")
    targets = [f"k8s.io/kubernetes/cmd/{cmd}" for cmd in commands]
    _run(
        [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(out) + "/", *targets],
        work,
        f"build {', '.join(commands)} {K8S_VERSION} (minutes to tens of minutes on a cold cache)",
    )


def _build_etcd(go: str, out: Path) -> None:
    work = bin_dir().parent / "src" / "etcd"
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(
        f"module berth.local/etcdbuild\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 {ETCD_VERSION}\n"
    )
    _run([go, "mod", "download", "all"], work, f"download modules for etcd {ETCD_VERSION}")
    _run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "etcd"), "go.etcd.io/etcd/server/v3"],
        work,
        f"build etcd {ETCD_VERSION}",
    )


def _build_kwok(go: str, out: Path) -> None:
    _run(
        [go, "install", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
        bin_dir().parent,
        f"build kwok {KWOK_VERSION}",
        extra_env={"GOBIN": str(out)},
    )


# The stage set kwokctl itself uses by default (pkg/kwokctl/runtime/cluster.go):
# fast node initialisation, lease-based heartbeats, and the fast pod lifecycle.
# The module also ships chaos and "general" stages; loading those as well would
# make pods fail or nodes go NotReady on purpose.
KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)


def crds_dir() -> Path:
    return bin_dir().parent / "kwok-crds"


def _stage_file(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


def kwok_assets_missing() -> bool:
    stages = stages_dir()
    have = {p.name for p in stages.glob("*.yaml")} if stages.is_dir() else set()
    want = {_stage_file(rel) for rel in KWOK_STAGES}
    crds = list(crds_dir().glob("*.yaml")) if crds_dir().is_dir() else []
    return have != want or not crds


def _copy_kwok_assets(go: str) -> None:
    """kwok needs stage definitions and, for Logs/Exec objects, its CRDs: both ship in
    its Go module, not in the binary."""
    if not kwok_assets_missing():
        return
    out = _run(
        [go, "mod", "download", "-json", f"sigs.k8s.io/kwok@{KWOK_VERSION}"],
        bin_dir().parent,
        "fetch kwok stages and CRDs",
    )
    module = Path(json.loads(out)["Dir"])
    for target in (stages_dir(), crds_dir()):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
    for rel in KWOK_STAGES:
        dest = stages_dir() / _stage_file(rel)
        shutil.copyfile(module / "kustomize" / "stage" / rel, dest)
        dest.chmod(0o644)
    for crd in sorted((module / "kustomize" / "crd" / "bases").glob("*.yaml")):
        dest = crds_dir() / crd.name
        shutil.copyfile(crd, dest)
        dest.chmod(0o644)


def ensure_binaries() -> dict[str, Path]:
    """Return the path of every binary, building what is missing."""
    todo = missing()
    if todo or kwok_assets_missing():
        go = _go()
        out = bin_dir()
        out.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        if set(todo) & set(K8S_COMMANDS):
            _build_kubernetes(go, out)
        if "etcd" in todo:
            _build_etcd(go, out)
        if "kwok" in todo:
            _build_kwok(go, out)
        _copy_kwok_assets(go)
        if todo:
            _log(f"all binaries ready in {out} after {time.monotonic() - started:.0f}s")
    paths = {name: find_binary(name) for name in BINARIES}
    absent = [name for name, path in paths.items() if path is None]
    if absent:
        raise BuildError(f"still missing after the build: {', '.join(absent)}")
    return paths  # type: ignore[return-value]


# A CoreDNS with only the plugins the devcluster uses, the way CoreDNS's own
# core/plugin/zplugin.go and core/dnsserver/zdirectives.go assemble the full one
# (directives in CoreDNS's plugin.cfg order). No forward: pods need cluster names only.
_COREDNS_MAIN = """package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes"}
}

func main() { coremain.Run() }
"""


def _build_coredns(go: str) -> None:
    work = node_bin_dir("coredns").parent / "src"
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.go").write_text(_COREDNS_MAIN)
    (work / "go.mod").write_text(
        "module berth.local/corednsbuild\n\ngo 1.26.0\n\n"
        f"require github.com/coredns/coredns {COREDNS_VERSION}\n"
    )
    _run([go, "mod", "tidy"], work, f"resolve modules for CoreDNS {COREDNS_VERSION}")
    out = node_bin_dir("coredns")
    out.mkdir(parents=True, exist_ok=True)
    _run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "coredns"), "."],
        work,
        f"build CoreDNS {COREDNS_VERSION} (kubernetes, bind, cache, errors, log, health, ready)",
    )


def _module_replaces(gomod: str) -> list[str]:
    """The `old => new version` replace lines of a go.mod (a dependency's replace lines
    are ignored by Go, so a wrapper module repeats them)."""
    lines, inside = [], False
    for raw in gomod.splitlines():
        line = raw.split("//")[0].strip()
        if line.startswith("replace ("):
            inside = True
            continue
        if inside and line == ")":
            inside = False
            continue
        if line.startswith("replace "):
            line = line.removeprefix("replace ").strip()
        elif not inside:
            continue
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "=>" and not parts[2].startswith("."):
            lines.append(f"\t{parts[0]} => {parts[2]} {parts[3]}")
    return lines


def _build_traefik(go: str) -> None:
    work = node_bin_dir("traefik").parent / "src"
    work.mkdir(parents=True, exist_ok=True)
    module = "github.com/traefik/traefik/v3"
    (work / "go.mod").write_text("module berth.local/traefikbuild\n\ngo 1.26.0\n")
    out = _run([go, "mod", "download", "-json", f"{module}@{TRAEFIK_VERSION}"], work, "fetch Traefik")
    replaces = _module_replaces(Path(json.loads(out)["GoMod"]).read_text())
    (work / "go.mod").write_text(
        "module berth.local/traefikbuild\n\ngo 1.26.0\n\n"
        f"require {module} {TRAEFIK_VERSION}\n\nreplace (\n" + "\n".join(replaces) + "\n)\n"
    )
    (work / "tools.go").write_text(f'//go:build tools\n\npackage tools\n\nimport _ "{module}/cmd"\n')
    _run([go, "mod", "tidy"], work, f"resolve modules for Traefik {TRAEFIK_VERSION}")
    bin_out = node_bin_dir("traefik")
    bin_out.mkdir(parents=True, exist_ok=True)
    version_pkg = f"{module}/pkg/version"
    _run(
        [
            go, "build", "-trimpath", "-ldflags", f"-s -w -X {version_pkg}.Version={TRAEFIK_VERSION}",
            "-o", str(bin_out / "traefik"), f"{module}/cmd/traefik",
        ],
        work,
        f"build Traefik {TRAEFIK_VERSION} (ten minutes or more on a cold cache)",
    )  # fmt: skip


def ensure_node_binaries() -> dict[str, Path]:
    """kubelet, kube-proxy, CoreDNS and Traefik for the real node, building what is missing."""
    todo = node_missing()
    if todo:
        go = _go()
        started = time.monotonic()
        k8s = tuple(name for name in NODE_K8S_COMMANDS if name in todo)
        if k8s:
            bin_dir().mkdir(parents=True, exist_ok=True)
            _build_kubernetes(go, bin_dir(), k8s)
        if "coredns" in todo:
            _build_coredns(go)
        if "traefik" in todo:
            _build_traefik(go)
        _log(f"node binaries ready after {time.monotonic() - started:.0f}s")
    paths = {name: find_binary(name) for name in NODE_BINARIES}
    absent = [name for name, path in paths.items() if path is None]
    if absent:
        raise BuildError(f"still missing after the build: {', '.join(absent)}")
    return paths  # type: ignore[return-value]
