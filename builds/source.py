"""Checking out a build config's source in the worker, to detect the plan.

The plan (and the Dockerfile made from it) must exist before the build pod
starts, and "nothing runnable" must be said before anything is built, so the
worker makes a shallow clone of the ref, runs detection on it, and throws the
clone away. git's own output becomes the first lines of the build log, so an
unreachable repository or a missing ref reads the way git says it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from builds.detect import DetectionError, Plan, plan_for

CLONE_TIMEOUT = 120

# https://host/path, http://, ssh://, git://, and scp-like user@host:path.
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[\w.~%!$&'()*+,;=:-]+@)?[A-Za-z0-9.-]+(?::\d+)?/[^\s]*$")
_SCP = re.compile(r"^[\w.-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*$")
_FILE = re.compile(r"^file:///[^\s]+$")
_REF = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[\w./-]{1,255}(?<![./])$")


def local_repositories_allowed() -> bool:
    """``file://`` repositories read the worker's own disk: development and tests only."""
    return settings.BERTH_BUILD_ALLOW_FILE_REPOS


def git_url_problem(url: str) -> str | None:
    """Why ``url`` is not a Git repository address, or None."""
    url = url.strip()
    if url.startswith("-"):
        return "A repository address cannot start with a dash."
    if _FILE.match(url):
        return (
            None if local_repositories_allowed() else "file:// repositories are not allowed on this console."
        )
    if _URL.match(url) or _SCP.match(url):
        return None
    return (
        "That is not a Git repository address. Use https://host/owner/repo.git, "
        "ssh://git@host/owner/repo.git or git@host:owner/repo.git."
    )


def git_ref_problem(ref: str) -> str | None:
    if ref and not _REF.match(ref):
        return "That is not a branch or tag name (letters, digits, '.', '_', '-' and '/')."
    return None


@dataclass
class Checkout:
    commit: str
    message: str
    plan: Plan | None
    dockerfile_found: bool


class SourceError(Exception):
    """The source could not be checked out or planned; the message says why."""


def _git(args: list[str], cwd: Path | None, emit: Callable[[str], None]) -> str:
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
        raise SourceError(f"git {args[0]} did not finish within {CLONE_TIMEOUT}s.") from None
    for line in (result.stderr + result.stdout).splitlines():
        if line.strip():
            emit(line)
    if result.returncode != 0:
        raise SourceError(f"git {args[0]} failed (exit {result.returncode}).")
    return result.stdout


def checkout_and_detect(
    *,
    git_uri: str,
    git_ref: str,
    context_dir: str,
    env: dict[str, str],
    strategy: str,
    dockerfile_path: str,
    emit: Callable[[str], None],
) -> Checkout:
    """Clone ``git_ref`` (or the default branch) shallowly, read the commit, detect the plan."""
    with tempfile.TemporaryDirectory(prefix="berth-src-") as tmp:
        target = Path(tmp) / "src"
        args = ["clone", "--depth", "1", "--single-branch"]
        if git_ref:
            args += ["--branch", git_ref]
        emit(f"Cloning {git_uri}" + (f" at {git_ref}" if git_ref else " (default branch)"))
        _git([*args, "--", git_uri, str(target)], None, emit)
        line = _git(["log", "-1", "--format=%H %s"], target, lambda _line: None).strip()
        commit, _, message = line.partition(" ")
        emit(f"Commit {commit}: {message}")
        root = (target / context_dir.strip("/")).resolve() if context_dir else target
        if not root.is_dir() or not root.is_relative_to(target.resolve()):
            raise SourceError(f"The context directory {context_dir!r} does not exist in the repository.")
        if strategy == "docker":
            found = (root / (dockerfile_path or "Dockerfile")).is_file()
            if not found:
                raise SourceError(f"There is no {dockerfile_path or 'Dockerfile'} in the context directory.")
            return Checkout(commit=commit, message=message[:500], plan=None, dockerfile_found=True)
        try:
            plan = plan_for(root, env=env)
        except DetectionError as exc:
            raise SourceError(str(exc)) from exc
        return Checkout(commit=commit, message=message[:500], plan=plan, dockerfile_found=False)
