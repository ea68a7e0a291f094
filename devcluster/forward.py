"""python -m devcluster.forward LISTEN=TARGET... — plain TCP forwarding.

A TARGET of ``@FILE`` is read from FILE (``host:port``) at each connection: the
registry's token service is whichever Berth runs now (``make dev``, a test's server).

The registry listens on 127.0.0.1 for the host (skopeo, Berth's worker); pods on the
node's bridge reach it at the gateway address, where this forwards to it, so one
image name (``<gateway>:<port>/<repository>``) works for the kubelet, for build pods
pushing and for Berth reading tags.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


def _target(spec: str) -> tuple[str, int] | None:
    if not spec.startswith("@"):
        return _address(spec)
    try:
        return _address(open(spec[1:]).read().strip())
    except (OSError, ValueError):
        return None


def _handler(spec: str):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target = _target(spec)
        try:
            if target is None:
                raise OSError("no upstream")
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


async def main(pairs: list[str]) -> None:
    servers = []
    for pair in pairs:
        listen, _, target = pair.partition("=")
        host, port = _address(listen)
        servers.append(await asyncio.start_server(_handler(target), host, port, reuse_address=True))
        print(f"forwarding {listen} to {target}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
