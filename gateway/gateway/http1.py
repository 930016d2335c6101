"""A lean HTTP/1.1 client for the hot path: asyncio streams and a keep-alive pool per service.

Why not aiohttp's client: measured here it costs ~125 us of CPU per request against ~40 us for
this one (same machine, same upstream), and on the reference 2-core machine every microsecond
the gateway spends is taken from the services behind it. It does only what the gateway needs:
forward a request whose path, query and headers are already in wire form, and hand back the
status, headers and a body that can be read whole or streamed (Content-Length, chunked, or up to
the connection's end), with connect and between-bytes timeouts and keep-alive reuse.
aiohttp's client still fetches the services' OpenAPI documents, where cost does not matter.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from multidict import CIMultiDict

STREAM_LIMIT = 1 << 17
MAX_HEAD = 64 * 1024
NO_BODY_STATUS = frozenset({204, 304})
SKIP_REQUEST_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class UpstreamError(Exception):
    """The service could not give a complete answer."""


class ConnectFailed(UpstreamError):
    """No connection (refused, unreachable, or the connect timeout passed)."""


class Disconnected(UpstreamError):
    """The connection broke before the response head arrived (or while sending)."""


class ReadTimeout(UpstreamError):
    """No byte arrived within the read timeout."""


class BadResponse(UpstreamError):
    """The service's answer is not valid HTTP/1.1."""


class _Connection:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        transport = self.writer.transport
        if not transport.is_closing():
            transport.abort()


class Response:
    """A response whose body is still on the wire; ``release()`` it when done."""

    __slots__ = (
        "_chunked",
        "_conn",
        "_done",
        "_keep_alive",
        "_pool",
        "_read_timeout",
        "_remaining",
        "content_length",
        "headers",
        "reason",
        "status",
    )

    def __init__(self, pool, conn, status, reason, headers, length, chunked, keep_alive, timeout):
        self._pool = pool
        self._conn = conn
        self.status: int = status
        self.reason: str = reason
        self.headers: CIMultiDict = headers
        self.content_length: int | None = length
        self._chunked = chunked
        self._keep_alive = keep_alive
        self._remaining = length
        self._done = length == 0
        self._read_timeout = timeout

    async def read(self) -> bytes:
        """The whole body."""
        if self._done:
            return b""
        if self._remaining is not None and not self._chunked:
            data = await self._io(self._conn.reader.readexactly(self._remaining))
            self._remaining = 0
            self._done = True
            return data
        parts = [chunk async for chunk in self.iter_chunked(STREAM_LIMIT)]
        return b"".join(parts)

    async def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        """The body in pieces of at most ``size`` bytes (chunked bodies: as the chunks come)."""
        reader = self._conn.reader
        if self._chunked:
            while not self._done:
                line = await self._io(reader.readuntil(b"\r\n"))
                try:
                    length = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadResponse("invalid chunk size") from None
                if length == 0:
                    while (await self._io(reader.readuntil(b"\r\n"))) != b"\r\n":
                        pass  # trailers: not forwarded
                    self._done = True
                    return
                while length:
                    piece = await self._io(reader.read(min(size, length)))
                    if not piece:
                        raise Disconnected("connection closed inside a chunk")
                    length -= len(piece)
                    yield piece
                if await self._io(reader.readexactly(2)) != b"\r\n":
                    raise BadResponse("chunk not terminated by CRLF")
            return
        while not self._done:
            want = size if self._remaining is None else min(size, self._remaining)
            piece = await self._io(reader.read(want))
            if not piece:
                if self._remaining is None:  # delimited by the end of the connection
                    self._done = True
                    return
                raise Disconnected("connection closed before the end of the body")
            if self._remaining is not None:
                self._remaining -= len(piece)
                self._done = self._remaining == 0
            yield piece

    async def _io(self, awaitable):
        try:
            async with asyncio.timeout(self._read_timeout):
                return await awaitable
        except TimeoutError:
            self._keep_alive = False
            raise ReadTimeout("no data within the read timeout") from None
        except asyncio.IncompleteReadError:
            self._keep_alive = False
            raise Disconnected("connection closed before the end of the body") from None
        except asyncio.LimitOverrunError:
            self._keep_alive = False
            raise BadResponse("line too long") from None
        except (ConnectionError, OSError) as exc:
            self._keep_alive = False
            raise Disconnected(str(exc)) from None

    def release(self) -> None:
        """Give the connection back (reused only when the body was read to its end)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(conn, self._keep_alive and self._done)


def _head_value(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Pool:
    """Keep-alive connections to one service (``http://host:port``)."""

    def __init__(
        self,
        base_url: str,
        *,
        size: int = 100,
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
        idle_timeout: float = 60.0,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"service URLs must be http://host:port, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.host_header = parts.netloc.encode("ascii")
        self.size = size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        # Shorter than the services' keep-alive (gunicorn: 75 s), so the service never closes a
        # connection the gateway is about to reuse.
        self.idle_timeout = idle_timeout
        self._idle: deque[_Connection] = deque()
        self._slots: asyncio.Semaphore | None = None

    async def _acquire(self) -> tuple[_Connection, bool]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        await self._slots.acquire()
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if conn.usable and now - conn.idle_since < self.idle_timeout:
                return conn, True
            conn.close()
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, limit=STREAM_LIMIT
                )
        except (OSError, TimeoutError) as exc:
            self._slots.release()
            raise ConnectFailed(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        except BaseException:
            self._slots.release()
            raise
        return _Connection(reader, writer), False

    def _release(self, conn: _Connection, reusable: bool) -> None:
        if reusable and conn.usable:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()
        self._slots.release()

    async def request(
        self,
        method: str,
        target: str,
        headers,
        body=None,
        *,
        content_length: int | None = None,
        read_timeout: float | None = None,
    ) -> Response:
        """Send ``method target`` and return once the response head has arrived.

        ``target`` is the path and query in wire form; ``body`` is bytes, an async iterator of
        bytes (then ``content_length`` is required) or None.
        """
        timeout = self.read_timeout if read_timeout is None else read_timeout
        lines = [f"{method} {target} HTTP/1.1".encode("latin-1"), b"Host: " + self.host_header]
        for name, value in headers.items():
            if name.lower() in SKIP_REQUEST_HEADERS:
                continue
            lines.append(name.encode("latin-1") + b": " + value.encode("utf-8", "surrogateescape"))
        if isinstance(body, bytes | bytearray):
            lines.append(b"Content-Length: %d" % len(body))
        elif body is not None:
            lines.append(b"Content-Length: %d" % content_length)
        elif method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: 0")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        conn, _reused = await self._acquire()
        try:
            writer = conn.writer
            if isinstance(body, bytes | bytearray):
                writer.write(head + body)  # one write: small bodies go in the same segment
                await writer.drain()
            else:
                writer.write(head)
                if body is not None:
                    async for chunk in body:
                        writer.write(chunk)
                        await writer.drain()
            return await self._read_head(conn, method, timeout)
        except (ConnectionError, OSError) as exc:
            self._release(conn, False)
            raise Disconnected(str(exc)) from None
        except BaseException:
            self._release(conn, False)
            raise

    async def _read_head(self, conn: _Connection, method: str, timeout: float) -> Response:
        reader = conn.reader
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await reader.readuntil(b"\r\n\r\n")
                    lines = raw[:-4].split(b"\r\n")
                    status_line = lines[0]
                    version, _, status_rest = status_line.partition(b" ")
                    code, _, reason = status_rest.partition(b" ")
                    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
                        raise BadResponse(f"invalid status line {status_line[:80]!r}")
                    status = int(code)
                    if 100 <= status < 200 and status != 101:
                        continue  # an interim answer (100 Continue): the real one follows
                    break
        except TimeoutError:
            raise ReadTimeout("no response within the read timeout") from None
        except asyncio.IncompleteReadError:
            raise Disconnected("connection closed before the response") from None
        except asyncio.LimitOverrunError:
            raise BadResponse("response head too large") from None
        except (ConnectionError, OSError) as exc:
            raise Disconnected(str(exc)) from None
        headers: CIMultiDict = CIMultiDict()
        length = None
        chunked = False
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise BadResponse("invalid header line")
            key, text = name.decode("latin-1"), _head_value(value.strip())
            lower = key.lower()
            if lower == "content-length":
                if not text.isdigit() or (length is not None and int(text) != length):
                    raise BadResponse("invalid Content-Length")
                length = int(text)
            elif lower == "transfer-encoding":
                chunked = "chunked" in text.lower()
            elif lower == "connection":
                tokens = {t.strip().lower() for t in text.split(",")}
                if "close" in tokens:
                    keep_alive = False
                elif "keep-alive" in tokens:
                    keep_alive = True
            headers.add(key, text)
        if method == "HEAD" or status in NO_BODY_STATUS:
            length, chunked = 0, False
        elif chunked:
            length = None
        elif length is None:
            keep_alive = False  # the body ends when the connection does
        return Response(
            self,
            conn,
            status,
            reason.decode("latin-1"),
            headers,
            length,
            chunked,
            keep_alive,
            timeout,
        )

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
