"""Starting, recognising and stopping the plane's processes, and picking loopback ports.

A process is identified by its pid *and* its start time (from /proc), so a pid that
the kernel has since reused for something else is never mistaken for ours and never
signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Component:
    name: str
    ports: tuple[str, ...]
    start_timeout: float


# Popen objects of the components this Python process started. Kept so they are not
# garbage collected while running (Popen.__del__ warns about that) and so their exit
# status can be collected, leaving no zombie behind in a long pytest run.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcRecord:
    pid: int
    start_ticks: int
    binary: str
    log: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ProcRecord:
        return cls(
            pid=int(data["pid"]),  # type: ignore[call-overload]
            start_ticks=int(data["start_ticks"]),  # type: ignore[call-overload]
            binary=str(data["binary"]),
            log=str(data["log"]),
        )


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a pid, or None if there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def is_running(record: ProcRecord) -> bool:
    stat = _stat(record.pid)
    if stat is None:
        return False
    state, ticks = stat
    return ticks == record.start_ticks and state not in ("Z", "X")


def start(binary: Path, args: list[str], log: Path, env: dict[str, str] | None = None) -> ProcRecord:
    """Start a component detached from our session, output appended to its log file.

    Its own session keeps a Ctrl-C in the terminal that ran `up` (or pytest) from
    reaching the plane; `down` stops it explicitly.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} {binary} {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            [str(binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    stat = _stat(proc.pid)
    if stat is None:  # already gone and reaped by someone: a record that is not running
        return ProcRecord(proc.pid, -1, str(binary), str(log))
    return ProcRecord(proc.pid, stat[1], str(binary), str(log))


def _reap(pid: int) -> None:
    # Only possible (and only needed) when this Python process started the component;
    # `down` from another process leaves that to init, which adopted the component.
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]


def stop(record: ProcRecord, grace: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `grace` seconds. Returns True if it was running."""
    _reap(record.pid)
    if not is_running(record):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(record.pid)
        if not is_running(record):
            return True
        time.sleep(0.1)
    if is_running(record):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and is_running(record):
        _reap(record.pid)
        time.sleep(0.05)
    return True


def reap(record: ProcRecord) -> None:
    _reap(record.pid)


def rss_kib(record: ProcRecord) -> int:
    """Resident set size of a running process, in KiB (0 when not running)."""
    if not is_running(record):
        return 0
    try:
        for line in Path(f"/proc/{record.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Go listeners set SO_REUSEADDR, so a port held only by TIME_WAIT sockets is
        # usable for them: test it the same way.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port(avoid: set[int] | None = None) -> int:
    """A port on 127.0.0.1 that nothing listens on right now (the kernel picks it)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
        if port not in (avoid or set()):
            return port
    raise RuntimeError("could not find a free port on 127.0.0.1")


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16384))
            text = fh.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
