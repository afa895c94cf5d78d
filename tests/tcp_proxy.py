"""A TCP proxy on 127.0.0.1, in front of a database server, that can refuse connections or swallow all
traffic (as a network dropping packets would) and then work again.

`TcpProxy` runs in the event loop of its caller; `ThreadedTcpProxy` runs one in a thread of its own,
so that it keeps forwarding while the test's loop is blocked (Piccolo checks the server's version
synchronously when an engine is made).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any

CHUNK = 65_536


class TcpProxy:
    """Forwards connections to ``target_host:target_port`` while `forwarding`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.forwarding = True
        """False: connections are accepted and bytes read, but nothing is passed on either way."""

    async def start(self) -> None:
        """Listen (again, on the same port once one was chosen)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    def black_hole(self) -> None:
        """Swallow all traffic, on open connections and on new ones."""
        self.forwarding = False

    def heal(self) -> None:
        """Forward again (connections opened in the black hole stay silent)."""
        self.forwarding = True

    async def close(self) -> None:
        await self.refuse()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if not self.forwarding:
                await self._pipe(reader, None)
                return
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
            except OSError:
                writer.transport.abort()
                return
            self._writers.add(upstream_writer)
            pipes = [
                asyncio.create_task(self._pipe(reader, upstream_writer)),
                asyncio.create_task(self._pipe(upstream_reader, writer)),
            ]
            self._tasks.update(pipes)
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            for pipe in pipes:
                pipe.cancel()
                self._tasks.discard(pipe)
            upstream_writer.transport.abort()
            self._writers.discard(upstream_writer)
        finally:
            writer.transport.abort()
            self._writers.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(CHUNK):
                if writer is not None and self.forwarding:
                    writer.write(chunk)
                    await writer.drain()


class ThreadedTcpProxy:
    """A `TcpProxy` in an event loop of its own thread; the same operations, awaitable from any loop."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()
        self._proxy = TcpProxy(target_host, target_port)

    @property
    def port(self) -> int:
        return self._proxy.port

    async def start(self) -> None:
        await self._call(self._proxy.start())

    async def refuse(self) -> None:
        await self._call(self._proxy.refuse())

    async def black_hole(self) -> None:
        await self._call(self._set_forwarding(False))

    async def heal(self) -> None:
        await self._call(self._set_forwarding(True))

    async def close(self) -> None:
        try:
            await self._call(self._proxy.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join)
            self._loop.close()

    async def _set_forwarding(self, forwarding: bool) -> None:
        self._proxy.forwarding = forwarding

    async def _call(self, operation: Coroutine[Any, Any, None]) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(operation, self._loop))
