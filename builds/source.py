"""Git addresses, and planning a build from the source a source pod read.

The source is read in the project's own namespace (``builds.cluster.source_read``):
a pod clones the ref and hands back the commit and the context directory's small
files as a tar, which is planned here. Only a cluster whose pods run nothing
(kwok, ``builds.simulation``) has the worker clone instead, with
:func:`read_in_worker`.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import socket
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from builds.detect import DetectionError, Plan, plan_for

CLONE_TIMEOUT = 120
# What Berth unpacks of a source read: enough for any app's manifests and modules.
UNPACKED_LIMIT = 64 * 1024 * 1024
MEMBERS_LIMIT = 20_000

# https://host/path, http://, ssh://, git://, and scp-like user@host:path.
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[\w.~%!$&'()*+,;=:-]+@)?[A-Za-z0-9.-]+(?::\d+)?/[^\s]*$")
_SCP = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[A-Za-z0-9.-]+):[^\s/][^\s]*$")
_FILE = re.compile(r"^file:///[^\s]+$")
_REF = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[\w./-]{1,255}(?<![./])$")


def local_repositories_allowed() -> bool:
    """``file://`` repositories read the worker's own disk: simulated clusters in
    development and tests only."""
    return settings.BERTH_BUILD_ALLOW_FILE_REPOS


def git_host(url: str) -> str:
    """The host name of a Git address ('' for file://)."""
    match = _SCP.match(url)
    if match:
        return match["host"]
    return urlsplit(url).hostname or ""


def _private_address(host: str) -> str | None:
    """The first private, loopback or link-local address ``host`` resolves to, if any."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None  # unresolvable here: git says so in the source pod
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return str(address)
    return None


def git_url_problem(url: str) -> str | None:
    """Why ``url`` is not a Git repository address Berth will read, or None."""
    url = url.strip()
    if url.startswith("-"):
        return "A repository address cannot start with a dash."
    if _FILE.match(url):
        return (
            None if local_repositories_allowed() else "file:// repositories are not allowed on this console."
        )
    if not (_URL.match(url) or _SCP.match(url)):
        return (
            "That is not a Git repository address. Use https://host/owner/repo.git, "
            "ssh://git@host/owner/repo.git or git@host:owner/repo.git."
        )
    parts = urlsplit(url) if not _SCP.match(url) else None
    if parts is not None and (parts.password is not None or (parts.username and parts.scheme != "ssh")):
        # Never stored, shown or logged: a token belongs in a source secret.
        return (
            "Credentials don't go in the address: remove the user name and token, "
            "and give private repositories a source secret."
        )
    host = git_host(url).lower()
    if settings.BERTH_BUILD_PRIVATE_SOURCES or host in settings.BERTH_BUILD_SOURCE_HOSTS_ALLOWED:
        return None
    private = _private_address(host)
    if private:
        return (
            f"{host} is a private address ({private}): this console reads public repositories only. "
            "An administrator can allow the host (BERTH_BUILD_SOURCE_HOSTS_ALLOWED)."
        )
    return None


def git_ref_problem(ref: str) -> str | None:
    if ref and not _REF.match(ref):
        return "That is not a branch or tag name (letters, digits, '.', '_', '-' and '/')."
    return None


@dataclass(frozen=True)
class SourceRead:
    """What reading the source gave: git's output, the commit, and the small files of
    the context directory as a gzipped tar (none when the read failed: ``problem``)."""

    output: list[str]
    commit: str = ""
    message: str = ""
    archive: bytes = b""
    problem: str = ""


@dataclass
class Checkout:
    commit: str
    message: str
    plan: Plan | None
    dockerfile_found: bool


class SourceError(Exception):
    """The source could not be read or planned; the message says why."""


def _unpack(archive: bytes, target: Path) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            members = tar.getmembers()
            if len(members) > MEMBERS_LIMIT or sum(m.size for m in members) > UNPACKED_LIMIT:
                raise SourceError("The repository has too many files for Berth to plan the build.")
            # The "data" filter refuses absolute paths, links out of the tree and devices.
            tar.extractall(target, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SourceError(f"The source could not be unpacked: {exc}") from exc


def checkout_from(read: SourceRead, *, env: dict[str, str], strategy: str, dockerfile_path: str) -> Checkout:
    """Plan the build from what the source read brought back."""
    if read.problem:
        raise SourceError(read.problem)
    with tempfile.TemporaryDirectory(prefix="berth-src-") as tmp:
        root = Path(tmp)
        _unpack(read.archive, root)
        if strategy == "docker":
            if not (root / (dockerfile_path or "Dockerfile")).is_file():
                raise SourceError(f"There is no {dockerfile_path or 'Dockerfile'} in the context directory.")
            return Checkout(commit=read.commit, message=read.message, plan=None, dockerfile_found=True)
        try:
            plan = plan_for(root, env=env)
        except DetectionError as exc:
            raise SourceError(str(exc)) from exc
        return Checkout(commit=read.commit, message=read.message, plan=plan, dockerfile_found=False)


def _git(args: list[str], cwd: Path | None, output: list[str]) -> tuple[int, str]:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",  # never wait for a password nobody will type
        "GIT_ASKPASS": "/bin/true",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
    }
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=CLONE_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        output.append(f"git {args[0]} did not finish within {CLONE_TIMEOUT}s.")
        return 124, ""
    output += [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    return result.returncode, result.stdout


def read_in_worker(*, git_uri: str, git_ref: str, context_dir: str) -> SourceRead:
    """The simulation's source read: a shallow clone on the worker's own disk (only
    where pods run nothing, so no source pod can), packed as a source pod packs it."""
    output: list[str] = []
    with tempfile.TemporaryDirectory(prefix="berth-src-") as tmp:
        target = Path(tmp) / "src"
        args = ["clone", "--depth", "1", "--single-branch"]
        if git_ref:
            args += ["--branch", git_ref]
        code, _ = _git([*args, "--", git_uri, str(target)], None, output)
        if code:
            return SourceRead(output, problem=f"git clone failed (exit {code}).")
        _, line = _git(["log", "-1", "--format=%H %s"], target, [])
        commit, _, message = line.strip().partition(" ")
        root = (target / context_dir.strip("/")).resolve() if context_dir else target
        if not root.is_dir() or not root.is_relative_to(target.resolve()):
            return SourceRead(
                output, commit, message, problem="The context directory does not exist in the repository."
            )
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w:gz") as tar:
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root)
                if relative.parts[0] == ".git" or not path.is_file() or path.is_symlink():
                    continue
                if path.stat().st_size < 256 * 1024:
                    tar.add(path, arcname=str(relative))
        return SourceRead(output, commit, message[:500], packed.getvalue())
