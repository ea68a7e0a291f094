"""python -m devcluster.forward LISTEN=TARGET... — plain TCP forwarding.

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


def _handler(target: tuple[str, int]):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
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
        servers.append(await asyncio.start_server(_handler(_address(target)), host, port, reuse_address=True))
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
