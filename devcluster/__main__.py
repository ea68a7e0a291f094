"""python -m devcluster build|up|down|status|env|pod-log|log-append"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from kubernetes.client.exceptions import ApiException

from devcluster import build, images, logs, packages
from devcluster.pki import PKIError
from devcluster.plane import Plane, PlaneError


def _cmd_build(plane: Plane, args: argparse.Namespace) -> int:
    paths = build.ensure_binaries()
    reason = plane.node.precondition()
    if reason:
        print(f"real node: unavailable — {reason}; not building its binaries and images", file=sys.stderr)
    else:
        paths.update(build.ensure_node_binaries())
        paths.update(images.ensure_all())
        paths["package index"] = packages.ensure()
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def _cmd_up(plane: Plane, args: argparse.Namespace) -> int:
    result = plane.up()
    if result.started:
        print(f"started {', '.join(result.started)} in {result.seconds:.1f}s", file=sys.stderr)
    else:
        print(f"already running (checked in {result.seconds:.1f}s)", file=sys.stderr)
    if result.real_node:  # (without one, `up` has said why in its one line already)
        print(f"real node: {result.real_node}", file=sys.stderr)
    # The last line of stdout, for `eval`/Makefile use: keep it last and alone.
    print(f"KUBECONFIG={result.kubeconfig}", flush=True)
    return 0


def _cmd_down(plane: Plane, args: argparse.Namespace) -> int:
    stopped = plane.down(purge=args.purge)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    if args.purge:
        print(f"removed the devcluster's state in {plane.dir}")
    return 0


def _cmd_status(plane: Plane, args: argparse.Namespace) -> int:
    rows = plane.status()
    width = max(len(r.name) for r in rows)
    total = 0
    for row in rows:
        state = "running" if row.running else ("dead" if row.pid else "stopped")
        pid = str(row.pid) if row.pid else "-"
        rss = f"{row.rss_kib / 1024:6.0f} MiB" if row.running else "       -  "
        print(f"{row.name:<{width}}  {state:<7}  pid {pid:<8} {rss}  {row.endpoint:<24}  {row.log}")
        total += row.rss_kib
    up = all(r.running or r.optional for r in rows)
    verdict = "up" if up else "not up"
    print(f"plane: {verdict}; memory (RSS) {total / 1024:.0f} MiB; kubeconfig {plane.kubeconfig}")
    return 0 if up else 3


def _cmd_env(plane: Plane, args: argparse.Namespace) -> int:
    # One NAME=value a line, values shell-quoted (so `eval`/`set -a; . <(...)` work too).
    for name, value in plane.env().items():
        print(f"{name}={shlex.quote(value) if value else ''}")
    return 0


def _cmd_pod_log(plane: Plane, args: argparse.Namespace) -> int:
    source = Path(args.file)
    target = logs.prepare_file(source, plane.pod_logs_dir)
    api = plane.admin_client()
    if args.pod:
        logs.attach_pod_log(api, args.namespace, args.pod, target, containers=args.container or None)
        who = f"pod {args.namespace}/{args.pod}"
    else:
        logs.attach_namespace_log(api, args.namespace, target, containers=args.container or None)
        who = f"every pod in namespace {args.namespace}"
    print(f"{who} now logs {target}")
    print(f"append lines with: python -m devcluster log-append {shlex.quote(str(target))} 'some text'")
    return 0


def _cmd_log_append(plane: Plane, args: argparse.Namespace) -> int:
    logs.append_lines(Path(args.file), args.lines, stream=args.stream)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devcluster",
        description="A local Kubernetes control plane (etcd, apiserver, controller manager, "
        "scheduler, kwok nodes) on 127.0.0.1.",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="state directory (default: $BERTH_DEVCLUSTER_DIR or <repo>/.devcluster)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="find or build the binaries (no plane is started)").set_defaults(
        func=_cmd_build
    )
    sub.add_parser("up", help="start the plane (or reuse it); prints KUBECONFIG=... last").set_defaults(
        func=_cmd_up
    )
    down = sub.add_parser("down", help="stop the processes `up` started")
    down.add_argument("--purge", action="store_true", help="also delete etcd data, certificates and logs")
    down.set_defaults(func=_cmd_down)
    sub.add_parser("status", help="show each component (exit 3 when not all run)").set_defaults(
        func=_cmd_status
    )
    sub.add_parser(
        "env",
        help="print KUBECONFIG, REGISTRY, ROUTER_URL, APPS_DOMAIN, images, REAL_NODE: NAME=value lines",
    ).set_defaults(func=_cmd_env)
    pod_log = sub.add_parser("pod-log", help="give a pod (or every pod of a namespace) a simulated log")
    pod_log.add_argument("-n", "--namespace", required=True)
    pod_log.add_argument("--pod", help="pod name (default: every pod in the namespace)")
    pod_log.add_argument("-c", "--container", action="append", help="only for this container (repeatable)")
    pod_log.add_argument("file", help="plain text or CRI-format log file")
    pod_log.set_defaults(func=_cmd_pod_log)
    append = sub.add_parser("log-append", help="append lines to a simulated log (in CRI format)")
    append.add_argument("file")
    append.add_argument("lines", nargs="+")
    append.add_argument("--stream", choices=("stdout", "stderr"), default="stdout")
    append.set_defaults(func=_cmd_log_append)

    args = parser.parse_args(argv)
    plane = Plane(args.dir)
    try:
        return int(args.func(plane, args))
    except (build.BuildError, PlaneError, PKIError, images.ImageError, packages.PackagesError) as exc:
        print(f"devcluster: {exc}", file=sys.stderr)
        return 1
    except ApiException as exc:
        print(f"devcluster: the API server answered {exc.status} {exc.reason}: {exc.body}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("devcluster: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
