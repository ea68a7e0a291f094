"""A Python package index for build pods, served on the node's bridge.

Build pods have no way out of the machine (the bridge has no egress) and the
package registries are behind an intercepting TLS proxy here, so builds install
from a local index instead: the wheels in ``wheels.txt`` (and their dependencies)
are downloaded once, with the host's pip, into ``~/.cache/berth/wheels-<hash>/``,
laid out as a PEP 503 "simple" index (``simple/<project>/<file>``), and served by
Python's own ``http.server`` on the gateway address: its directory listings are
the index pages pip reads.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devcluster import build

REQUIREMENTS = Path(__file__).with_name("wheels.txt")
# A wheel file name: {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl
_WHEEL = re.compile(r"^(?P<name>[^-]+)-[^-]+(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")


class PackagesError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"[devcluster packages] {message}", file=sys.stderr, flush=True)


def normalise(name: str) -> str:
    """PEP 503's normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def index_root() -> Path:
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return build.cache_root() / f"wheels-{key}"


def ready() -> bool:
    return (index_root() / "simple" / ".complete").is_file()


def ensure() -> Path:
    """The index's root directory (holding ``simple/``), downloading it the first time."""
    root = index_root()
    if ready():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    _log(f"downloading the wheels in {REQUIREMENTS.name} for build pods (once)")
    with tempfile.TemporaryDirectory(prefix="wheels-", dir=root.parent) as tmp:
        download = Path(tmp) / "download"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary=:all:",
                "--dest",
                str(download),
                "-r",
                str(REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
            raise PackagesError(f"pip download failed:\n{tail}")
        simple = Path(tmp) / "index" / "simple"
        for wheel in sorted(download.glob("*.whl")):
            match = _WHEEL.match(wheel.name)
            if not match:
                continue
            project = simple / normalise(match["name"])
            project.mkdir(parents=True, exist_ok=True)
            shutil.move(str(wheel), project / wheel.name)
        (simple / ".complete").write_text("")
        shutil.rmtree(root, ignore_errors=True)
        (Path(tmp) / "index").rename(root)
    count = sum(1 for _ in root.glob("simple/*/*.whl"))
    _log(f"{count} wheels ready in {time.monotonic() - began:.0f}s: {root}")
    return root
