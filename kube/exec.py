"""A command in a container (``pods/exec``) as a person, over the API server's websocket.

The official client's ``stream()`` is synchronous and sends only the client's default
headers, which are a plain dict: it cannot impersonate a person with their groups
(``Impersonate-Group`` once per group). This speaks the same protocol with
``websockets`` (asyncio), so a terminal is one connection in the web process's event
loop, made with Berth's credentials and the person's impersonation headers: the cluster
decides (RBAC ``create pods/exec``), not only Berth.

The channel protocol (``v5.channel.k8s.io``, else ``v4``): every binary message starts
with its channel's byte — 0 stdin, 1 stdout, 2 stderr, 3 the command's end (a Status),
4 the terminal's size (``{"Width": w, "Height": h}``).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import websockets
from django.conf import settings

from kube.client import Identity, _load_base_config, impersonation_headers, object_path, translate_status
from kube.errors import Unavailable

PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
MAX_MESSAGE = 1 << 20  # what one message from the cluster may hold


@dataclass(frozen=True)
class Ended:
    """How the command ended: its exit code (None when the cluster says only why)."""

    exit_code: int | None
    message: str = ""


def _ended(status: dict) -> Ended:
    if status.get("status") == "Success":
        return Ended(0)
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return Ended(int(cause.get("message", "")), status.get("message", ""))
            except ValueError:
                break
    return Ended(None, status.get("message") or "the command ended")


class Session:
    """An open exec: write to its stdin, resize its terminal, read what it prints."""

    def __init__(self, connection) -> None:
        self._connection = connection
        self.ended: Ended | None = None

    async def write(self, data: bytes) -> None:
        await self._connection.send(bytes([STDIN]) + data)

    async def resize(self, columns: int, rows: int) -> None:
        size = json.dumps({"Width": columns, "Height": rows}).encode()
        await self._connection.send(bytes([RESIZE]) + size)

    async def output(self) -> AsyncIterator[bytes]:
        """What the command prints, until it ends (then ``ended`` says how) or the
        connection breaks (``ended`` stays None)."""
        try:
            async for message in self._connection:
                if not isinstance(message, bytes) or not message:
                    continue
                channel, data = message[0], message[1:]
                if channel in (STDOUT, STDERR) and data:
                    yield data
                elif channel == ERROR:
                    try:
                        self.ended = _ended(json.loads(data or b"{}"))
                    except ValueError:
                        self.ended = Ended(None, data.decode("utf-8", "replace"))
        except websockets.ConnectionClosed:
            return

    async def close(self) -> None:
        await self._connection.close()


def _ssl_context(configuration) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _headers(configuration, identity: Identity) -> list[tuple[str, str]]:
    """Berth's own credential as the client sends it (a kubeconfig's token, the service
    account's; certificates go in the TLS context), then the person's impersonation."""
    headers = [
        (auth["key"].title(), auth["value"])
        for auth in configuration.auth_settings().values()
        if auth.get("in") == "header" and auth.get("value")
    ]
    return headers + impersonation_headers(identity)


async def exec_open(
    identity: Identity,
    *,
    namespace: str,
    pod: str,
    container: str,
    command: Sequence[str],
    tty: bool = True,
) -> Session:
    """Start ``command`` in ``container`` of ``pod`` as ``identity``: the cluster's
    refusal (RBAC, a pod gone, a container not running) is Berth's error."""
    path = object_path("v1", "pods", namespace, pod) + "/exec"  # NotFound for a bad name
    configuration = _load_base_config()
    query = urlencode(
        [
            ("container", container),
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "false" if tty else "true"),  # a terminal merges them
            ("tty", "true" if tty else "false"),
            *(("command", word) for word in command),
        ]
    )
    base = configuration.host.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    url = f"{base}{path}?{query}"
    try:
        connection = await websockets.connect(
            url,
            additional_headers=_headers(configuration, identity),
            subprotocols=PROTOCOLS,
            ssl=_ssl_context(configuration) if url.startswith("wss://") else None,
            open_timeout=settings.KUBE_TIMEOUT,
            max_size=MAX_MESSAGE,
            ping_interval=20,
        )
    except websockets.InvalidStatus as exc:
        response = exc.response
        raise translate_status(response.status_code, response.body, response.reason_phrase) from exc
    except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
        raise Unavailable(f"The cluster could not be reached: {exc}") from exc
    return Session(connection)
