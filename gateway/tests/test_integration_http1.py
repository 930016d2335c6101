"""The gateway's HTTP/1.1 client against a scripted server speaking raw bytes."""

from __future__ import annotations

import asyncio

import pytest

from gateway.http1 import BadResponse, ConnectFailed, Disconnected, Pool, ReadTimeout
from servicekit.testing.servers import free_port

pytestmark = pytest.mark.integration


class Script:
    """A server answering each request head with the next scripted reply (bytes, or a
    callable taking the writer). Records every request it saw and every connection."""

    def __init__(self, replies) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections = 0

    async def handle(self, reader, writer) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                reply = self.replies.pop(0)
                if callable(reply):
                    if await reply(writer) == "close":
                        break
                else:
                    writer.write(reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def run(replies, scenario):
    """Start the scripted server, run ``scenario(pool, script)``, return its result."""
    script = Script(replies)

    async def main():
        server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = Pool(f"http://127.0.0.1:{port}", read_timeout=2.0, connect_timeout=1.0)
        try:
            return await scenario(pool, script)
        finally:
            await pool.close()
            server.close()

    return asyncio.run(main())


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def test_content_length_and_keep_alive_reuse():
    async def scenario(pool, script):
        bodies = []
        for _ in range(3):
            response = await pool.request("GET", "/a?b=c%20d", {"X-Test": "1"})
            assert response.status == 200 and response.content_length == 2
            assert response.headers["content-type"] == "application/json"
            bodies.append(await response.read())
            response.release()
        return bodies, script

    bodies, script = run([OK, OK, OK], scenario)
    assert bodies == [b"{}"] * 3
    assert script.connections == 1  # one keep-alive connection for all three
    assert script.requests[0].startswith(b"GET /a?b=c%20d HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"X-Test: 1" in script.requests[0]


def test_chunked_body_with_extensions_and_trailers():
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )

    async def scenario(pool, script):
        response = await pool.request("GET", "/", {})
        pieces = [p async for p in response.iter_chunked(3)]
        response.release()
        again = await pool.request("GET", "/", {})
        assert await again.read() == b"{}"
        again.release()
        return pieces, script.connections

    pieces, connections = run([reply, OK], scenario)
    assert b"".join(pieces) == b"hello, world" and max(len(p) for p in pieces) <= 3
    assert connections == 1


def test_connection_close_and_body_until_eof_are_not_reused():
    async def until_eof(writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n")
        await writer.drain()
        return "close"

    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"

    async def scenario(pool, script):
        bodies = []
        for _ in range(3):
            response = await pool.request("GET", "/", {})
            bodies.append(await response.read())
            response.release()
        return bodies, script.connections

    bodies, connections = run([until_eof, closing, OK], scenario)
    assert bodies == [b"a,b\n1,2\n", b"{}", b"{}"]
    assert connections == 3  # neither of the first two connections was reused


def test_head_204_304_have_no_body_and_stay_reusable():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    not_modified = b'HTTP/1.1 304 Not Modified\r\nETag: "3"\r\n\r\n'

    async def scenario(pool, script):
        statuses = []
        for method in ("HEAD", "DELETE", "GET", "GET"):
            response = await pool.request(method, "/", {})
            statuses.append(response.status)
            assert await response.read() in (b"", b"{}")
            response.release()
        return statuses, script.connections

    statuses, connections = run([head, no_content, not_modified, OK], scenario)
    assert statuses == [200, 204, 304, 200] and connections == 1


def test_interim_100_continue_is_skipped():
    reply = b"HTTP/1.1 100 Continue\r\n\r\n" + OK

    async def scenario(pool, script):
        response = await pool.request("POST", "/", {"Content-Type": "application/json"}, b"{}")
        body = await response.read()
        response.release()
        return response.status, body, script.requests[0]

    status, body, request = run([reply], scenario)
    assert status == 200 and body == b"{}"
    assert b"Content-Length: 2\r\n" in request and request.endswith(b"\r\n\r\n{}")


def test_request_framing_headers_are_the_clients_own():
    async def scenario(pool, script):
        async def stream():
            yield b"abc"
            yield b"def"

        sent = [
            await pool.request(
                "POST", "/", {"Host": "evil", "Content-Length": "999", "Connection": "close"}
            ),
            await pool.request("PUT", "/", {}, stream(), content_length=6),
        ]
        for response in sent:
            await response.read()
            response.release()
        return script.requests

    first, second = run([OK, OK], scenario)
    assert b"Host: evil" not in first and b"Content-Length: 999" not in first
    assert b"Content-Length: 0\r\n" in first and b"Connection" not in first
    assert second.endswith(b"\r\n\r\nabcdef") and b"Content-Length: 6" in second


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTX/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
def test_invalid_responses(reply):
    async def scenario(pool, script):
        with pytest.raises(BadResponse):
            await pool.request("GET", "/", {})

    run([reply], scenario)


def test_disconnect_timeout_and_refused():
    async def hang_up(writer):
        return "close"

    async def stall(writer):
        await asyncio.sleep(5)

    async def scenario(pool, script):
        with pytest.raises(Disconnected):
            await pool.request("GET", "/", {})
        with pytest.raises(ReadTimeout):
            await pool.request("GET", "/", {}, read_timeout=0.2)

    run([hang_up, stall], scenario)

    async def refused():
        pool = Pool(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
        with pytest.raises(ConnectFailed):
            await pool.request("GET", "/", {})

    asyncio.run(refused())


def test_truncated_body_is_an_error_not_a_short_file():
    async def short(writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some")
        await writer.drain()
        return "close"

    async def scenario(pool, script):
        response = await pool.request("GET", "/", {})
        with pytest.raises(Disconnected):
            await response.read()
        response.release()

    run([short], scenario)
