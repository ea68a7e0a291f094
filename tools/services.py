"""Local services for development and tests: a private redis-server."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=timeout
        ) as sock:
            if parsed.password:
                sock.sendall(f"AUTH {parsed.password}\r\n".encode())
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(port: int | None = None, password: str | None = None) -> Iterator[str]:
    """Run a throwaway redis-server on 127.0.0.1 and yield its URL (with the password it
    was given: nobody else on the machine reads Berth's events or queues); stop it by pid.
    A port and password given again start it again where its clients look (empty)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server is not installed: run tools/system-deps.sh (or apt-get install redis-server)."
        )
    port = port or free_port()
    password = password or secrets.token_urlsafe(24)
    workdir = tempfile.mkdtemp(prefix="berth-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "-",  # the rest of the configuration from stdin: the password, which ps would show
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--protected-mode",
            "yes",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    proc.stdin.write(f"requirepass {password}\n".encode())
    proc.stdin.close()
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not redis_answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield url
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop a process this code started: SIGTERM, then SIGKILL after ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def env_with(**values: str) -> dict[str, str]:
    return {**os.environ, **values}
