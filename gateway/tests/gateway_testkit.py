"""Run HTTP apps inside the test process on free ports: the gateway (aiohttp), a fake upstream
(aiohttp) and a real service's Flask app (werkzeug, threaded); for webhooks, a recording
receiver, a fake clock and sample events."""

from __future__ import annotations

import asyncio
import collections
import copy
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from werkzeug.serving import make_server

from servicekit.errors import ApiError
from servicekit.identity import IDENTITY_HEADER, IdentityVerifier
from servicekit.testing.servers import free_port

SEEN = web.AppKey("seen", list)


class AppThread:
    """An aiohttp application served by its own event loop on a background thread."""

    def __init__(self, make_app: Callable[[], web.Application]) -> None:
        self.make_app = make_app
        self.port = free_port()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True, name="app-thread")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.app = self.make_app()
            self._runner = web.AppRunner(self.app, access_log=None)
            self.loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self.loop.run_until_complete(site.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()

    def start(self) -> AppThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def call(self, coro, timeout: float = 30):
        """Run a coroutine on the app's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


class WsgiThread:
    """A WSGI app (a service's Flask app) on a threaded werkzeug server."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> WsgiThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(30)


def fake_upstream(public_pem: str, *, name: str = "fake") -> web.Application:
    """A stand-in service: verifies the identity like servicekit does and echoes the request.

    Special paths: ``.../slow`` sleeps 2 s; ``.../big.csv`` streams 3 MB of CSV; ``.../boom``
    answers 503; ``/openapi.json`` serves a small document.
    """
    verifier = IdentityVerifier([public_pem])
    app = web.Application(client_max_size=128 * 1024 * 1024)
    app[SEEN] = []

    async def openapi(_request):
        return web.json_response(
            {
                "openapi": "3.0.3",
                "info": {"title": name, "version": "v1"},
                "paths": {
                    "/api/v1/orders": {
                        "get": {
                            "tags": ["Orders"],
                            "operationId": "list_orders",
                            "responses": {
                                "200": {
                                    "description": "OK",
                                    "content": {
                                        "application/json": {
                                            "schema": {"$ref": "#/components/schemas/Page"}
                                        }
                                    },
                                }
                            },
                        }
                    },
                    "/r/{token}": {"get": {"responses": {"302": {"description": "redirect"}}}},
                    "/internal/only": {"get": {"responses": {"200": {"description": "x"}}}},
                },
                "components": {"schemas": {"Page": {"type": "object"}}},
                "tags": [{"name": "Orders"}],
            }
        )

    async def echo(request: web.Request):
        identity = None
        token = request.headers.get(IDENTITY_HEADER)
        if request.path.startswith("/api/"):
            try:
                verified = verifier.verify(token)
            except ApiError as error:
                return web.json_response(
                    {"error": {"status": 401, "code": error.code, "message": error.message}},
                    status=401,
                )
            identity = {
                "subject": verified.subject,
                "kind": verified.kind,
                "roles": sorted(verified.roles),
                "scopes": sorted(verified.scopes),
                "team": verified.team,
            }
        body = await request.read()
        app[SEEN].append({"path": request.path_qs, "headers": dict(request.headers)})
        if request.path.endswith("/slow"):
            await asyncio.sleep(2)
        if request.path.endswith("/boom"):
            return web.json_response({"error": {"status": 503, "code": "x"}}, status=503)
        if request.path.endswith("/half.json"):
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = 1000
            await response.prepare(request)
            await response.write(b'{"partial": ')
            request.transport.abort()
            return response
        if request.path.endswith("/broken.csv"):
            response = web.StreamResponse(headers={"Content-Type": "text/csv"})
            await response.prepare(request)
            await response.write(b"id,name\n" * 50_000)
            request.transport.abort()  # the service dies mid-export
            return response
        if request.path.endswith("/big.csv"):
            response = web.StreamResponse(headers={"Content-Type": "text/csv"})
            await response.prepare(request)
            line = b"id,name,email\n" + b"0123456789abcdef,Customer name,someone@example.com\n" * 20
            for _ in range(3000):
                await response.write(line)
            await response.write_eof()
            return response
        return web.Response(
            text=json.dumps(
                {
                    "service": name,
                    "method": request.method,
                    "path": request.path,
                    "raw_path": request.raw_path,
                    "query": request.query_string,
                    "identity": identity,
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body_bytes": len(body),
                    "items": [],
                    "next_cursor": None,
                }
            ),
            content_type="application/json",
        )

    app.router.add_get("/openapi.json", openapi)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


PASSWORD = "correct horse battery staple"
JWT_SECRET = "test-secret-" + "x" * 40


def fast_passwords():
    """argon2id with test-sized parameters (the real ones cost ~50 ms per hash)."""
    from argon2 import PasswordHasher

    from gateway.passwords import Passwords

    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# -- webhooks -------------------------------------------------------------------------------

WEBHOOK_KEY = "webhook-test-key-" + "k" * 40


class Receiver:
    """A real HTTP server that records webhook requests and answers as planned.

    ``plan(path, 500, {"status": 429, "headers": {"Retry-After": "120"}}, 200)`` answers the
    next requests to ``path`` in that order, then ``default`` (200). A response is a status or a
    dict with ``status``, ``headers``, ``body`` and ``delay`` (seconds before answering).
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.plans: dict[str, collections.deque] = {}
        self.event_plans: dict[str, collections.deque] = {}
        self.defaults: dict[str, dict] = {}
        self.default: dict = {"status": 200}
        self._lock = threading.Lock()
        self.server: AppThread | None = None

    @staticmethod
    def _normal(response) -> dict:
        return {"status": response} if isinstance(response, int) else dict(response)

    def plan(self, path: str, *responses) -> Receiver:
        with self._lock:
            self.plans[path] = collections.deque(self._normal(r) for r in responses)
        return self

    def plan_event(self, event_id: str, *responses) -> Receiver:
        """Like :meth:`plan`, for the requests carrying one event (X-MMS-Event-Id)."""
        with self._lock:
            self.event_plans[event_id] = collections.deque(self._normal(r) for r in responses)
        return self

    def always(self, path: str, response) -> Receiver:
        """Answer every request to ``path`` (after its plan) with ``response``."""
        with self._lock:
            self.defaults[path] = self._normal(response)
        return self

    def _next(self, path: str, event_id: str | None) -> dict:
        with self._lock:
            for queue in (self.event_plans.get(event_id or ""), self.plans.get(path)):
                if queue:
                    return queue.popleft()
            return self.defaults.get(path, self.default)

    def app(self) -> web.Application:
        app = web.Application()

        async def record(request: web.Request):
            body = await request.read()
            self.requests.append(
                {
                    "path": request.path,
                    "headers": dict(request.headers),
                    "body": body,
                    "at": time.time(),
                    "peer": request.remote,
                }
            )
            response = self._next(request.path, request.headers.get("X-MMS-Event-Id"))
            if response.get("delay"):
                await asyncio.sleep(response["delay"])
            return web.Response(
                status=response["status"],
                text=response.get("body", "ok"),
                headers=response.get("headers", {}),
            )

        app.router.add_route("*", "/{tail:.*}", record)
        return app

    def start(self) -> Receiver:
        self.server = AppThread(self.app).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def url(self, path: str = "/hook") -> str:
        return self.server.url + path

    def received(self, path: str | None = None) -> list[dict]:
        return [r for r in list(self.requests) if path is None or r["path"] == path]


class FakeClock:
    """The delivery scheduler's clock, moved by the test instead of sleeping."""

    def __init__(self, start=None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds: float):
        self.now = self.now + timedelta(seconds=seconds)
        return self.now


def webhook_settings(**overrides):
    """Webhook settings for tests: a fixed at-rest key, 127.0.0.0/8 allowed, short timeouts."""
    from gateway.webhooks.settings import WebhookSettings

    values = dict(
        secret_keys=(WEBHOOK_KEY,),
        allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        timeout=2.0,
        connect_timeout=1.0,
        poll_interval=0.05,
    )
    values.update(overrides)
    return WebhookSettings(**values)


def sample_envelope(event_type: str = "sales.order.placed", **changes) -> dict:
    """The contract's golden sample with a fresh event id (and the given top-level changes)."""
    from event_contracts import golden_samples

    for contract, sample in golden_samples(event_type.split(".", 1)[0]):
        if contract.event_type == event_type:
            body = copy.deepcopy(sample)
            body["event_id"] = str(uuid.uuid4())
            data_changes = changes.pop("data", {})
            body.update(changes)
            body["data"].update(data_changes)
            return body
    raise LookupError(event_type)
