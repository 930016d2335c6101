"""/api/v1/openapi.json: the gateway's own operations merged with every service's document.

The gateway's part is built with apispec from its marshmallow schemas. Each service's
``/openapi.json`` is fetched, cached and refreshed every ``openapi_refresh`` seconds; a service
that cannot be reached is left out and named in ``info.description``. Component names are
prefixed with the service (``customer.Customer``) so that two services' ``Error`` or ``Page``
schemas cannot collide, and every ``$ref`` is rewritten to match.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.routing import PUBLIC_PREFIXES, SERVICE_SEGMENTS
from servicekit.schemas import ErrorSchema

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/login (15 minutes).",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "API key created by an admin (header only, never the query string).",
    },
}
GATEWAY_TAGS = [
    ("auth", "Sign in, refresh tokens (rotating), sign out."),
    ("me", "The caller: identity, roles, scopes; own name and password."),
    ("users", "Users and their roles and teams (administrators)."),
    ("teams", "Teams (sales teams, support groups)."),
    ("api-keys", "API keys for department tools (administrators)."),
    ("roles", "What each role may do."),
    ("customers (360)", "One customer across all services."),
    ("webhooks", "Domain events pushed to your URL: subscriptions, delivery log, replay."),
]
GLOBAL_SECURITY = [{"bearerAuth": []}, {"apiKeyAuth": []}]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNAUTHENTICATED = "Not signed in, or the token or API key is not valid."
# Every 401 names the schemes (RFC 9110 section 11.6.1); see gateway.security.challenges.
CHALLENGE_HEADERS = {
    "WWW-Authenticate": {
        "description": "The schemes to authenticate with, one challenge per field line: "
        'Bearer realm="mms" (RFC 6750: with error="invalid_token" and an error_description '
        "when the bearer token sent was refused, no error code when none was sent) and "
        'ApiKey realm="mms", header="X-API-Key".',
        "required": True,
        "schema": {"type": "string"},
        "example": 'Bearer realm="mms", error="invalid_token", '
        'error_description="The access token has expired; refresh it."',
    }
}
ERROR_STATUSES = {
    "401": UNAUTHENTICATED,
    "403": "The caller lacks the permission.",
    "429": "Rate limited; see Retry-After.",
}


@dataclass(frozen=True)
class Operation:
    """One gateway-owned operation as documented."""

    method: str
    path: str
    summary: str
    tag: str
    request: Any = None
    response: Any = None
    status: int = 200
    public: bool = False
    query: Any = None
    description: str | None = None
    path_params: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()


def gateway_spec(operations: list[Operation], title: str = "Marketing Management Suite API"):
    """The OpenAPI document of the gateway's own operations (a dict)."""
    spec = APISpec(
        title=title,
        version="v1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Gateway"},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in GATEWAY_TAGS:
        spec.tag({"name": name, "description": f"Gateway: {description}"})
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    by_path: dict[str, dict[str, Any]] = {}
    for op in operations:
        operation: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method}_{op.path}".replace("/", "_")
            .replace("{", "")
            .replace("}", "")
            .replace("-", "_"),
            "responses": {},
        }
        if op.description:
            operation["description"] = op.description
        parameters = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in op.path_params
        ]
        if op.query is not None:
            parameters.append({"in": "query", "schema": op.query})
        if parameters:
            operation["parameters"] = parameters
        if op.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.request}},
            }
        if op.response is not None:
            operation["responses"][str(op.status)] = {
                "description": "OK",
                "content": {"application/json": {"schema": op.response}},
            }
        else:
            operation["responses"][str(op.status)] = {"description": "Done"}
        error_ref = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        }
        if op.request is not None or op.query is not None:
            operation["responses"]["422"] = {"description": "Invalid fields.", **error_ref}
        bad_request = [
            text
            for given, text in (
                (op.request, "The body is not JSON."),
                (op.query, "The cursor is not valid for this listing."),
            )
            if given is not None
        ]
        if bad_request:
            operation["responses"]["400"] = {"description": " ".join(bad_request), **error_ref}
        if op.request is not None:
            operation["responses"]["413"] = {
                "description": "The body is over the cap (1 MiB unless MMS_MAX_BODY_BYTES "
                "says otherwise); refused before it is read or parsed.",
                **error_ref,
            }
            operation["responses"]["415"] = {"description": "Not application/json.", **error_ref}
        for status in op.errors:
            operation["responses"][str(status)] = {"description": "See the message.", **error_ref}
        if op.public:
            operation["security"] = []
        else:
            for status, text in ERROR_STATUSES.items():
                operation["responses"].setdefault(status, {"description": text, **error_ref})
        if "401" in operation["responses"]:
            operation["responses"]["401"]["headers"] = copy.deepcopy(CHALLENGE_HEADERS)
        by_path.setdefault(op.path, {})[op.method] = operation
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


def _rename_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                _, _, kind, name = value.split("/", 3)
                out[key] = f"#/components/{kind}/{prefix}.{name}"
            else:
                out[key] = _rename_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, prefix) for v in node]
    return node


def _owned(service: str, path: str) -> bool:
    segments = SERVICE_SEGMENTS.get(service, ())
    if any(path == f"/api/v1/{s}" or path.startswith(f"/api/v1/{s}/") for s in segments):
        return True
    return any(
        owner == service and path.startswith(f"/{prefix}/")
        for prefix, owner in PUBLIC_PREFIXES.items()
    )


def _is_public(path: str) -> bool:
    return not path.startswith("/api/")


def _with_unauthenticated(responses: dict | None) -> dict:
    """A service operation's responses plus the gateway's 401 (it authenticates every call
    before the service sees it), which names the schemes in WWW-Authenticate."""
    out = dict(responses or {})
    documented = dict(out.get("401") or {})
    documented.setdefault("description", UNAUTHENTICATED)
    documented.setdefault(
        "content", {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    )
    documented["headers"] = {**copy.deepcopy(CHALLENGE_HEADERS), **documented.get("headers", {})}
    out["401"] = documented
    return out


def merge(base: dict, services: dict[str, dict | None]) -> dict:
    """``base`` (the gateway's document) with every service document that is not None."""
    merged = copy.deepcopy(base)
    merged.setdefault("paths", {})
    components = merged.setdefault("components", {})
    own_tags = list(merged.get("tags", []))
    tags: dict[str, dict] = {}
    left_out = []
    for service, document in sorted(services.items()):
        if document is None:
            left_out.append(service)
            continue
        document = _rename_refs(document, service)
        for kind, entries in (document.get("components") or {}).items():
            if kind == "securitySchemes":
                continue
            target = components.setdefault(kind, {})
            for name, value in entries.items():
                target[f"{service}.{name}"] = value
        for path, item in (document.get("paths") or {}).items():
            if not _owned(service, path):
                continue
            target_item = merged["paths"].setdefault(path, {})
            for method, operation in item.items():
                if method not in METHODS:
                    target_item.setdefault(method, operation)
                    continue
                if method in target_item:
                    continue  # the gateway's own operation wins (e.g. the 360)
                operation = dict(operation)
                operation["tags"] = [f"{service}: {t}" for t in operation.get("tags") or [service]]
                if "operationId" in operation:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
                if _is_public(path):
                    operation["security"] = []
                else:
                    operation["responses"] = _with_unauthenticated(operation.get("responses"))
                target_item[method] = operation
        for tag in document.get("tags") or []:
            name = f"{service}: {tag['name']}"
            tags.setdefault(name, {**tag, "name": name})
    merged["tags"] = own_tags + sorted(tags.values(), key=lambda t: t["name"])
    merged["security"] = GLOBAL_SECURITY
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    description = [
        "All operations of the Marketing Management Suite, through the gateway. Sign in with "
        "POST /api/v1/auth/login and send 'Authorization: Bearer <access_token>', or send an "
        "API key in the X-API-Key header."
    ]
    if left_out:
        description.append(
            "Not included because the service could not be reached: " + ", ".join(left_out) + "."
        )
    merged.setdefault("info", {})["description"] = " ".join(description)
    return merged


class SpecCache:
    """The merged document, refreshed in the background at most every ``refresh`` seconds."""

    def __init__(self, rt, base: dict, *, refresh: float = 300.0, fetch_timeout: float = 3.0):
        self.rt = rt
        self.base = base
        self.refresh = refresh
        self.fetch_timeout = fetch_timeout
        self.documents: dict[str, dict | None] = {}
        self.fetched_at = 0.0
        self.merged: dict | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    async def _fetch(self, service: str) -> dict | None:
        url = self.rt.upstreams.urls[service] + "/openapi.json"
        try:
            async with self.rt.upstreams.session.get(
                url,
                timeout=aiohttp.ClientTimeout(total=self.fetch_timeout),
                headers={"Accept": "application/json", "Accept-Encoding": "identity"},
            ) as response:
                if response.status != 200:
                    return None
                data = await response.json(content_type=None)
                return data if isinstance(data, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def _reload(self) -> None:
        services = list(self.rt.upstreams.urls)
        documents = await asyncio.gather(*(self._fetch(s) for s in services))
        self.documents = dict(zip(services, documents, strict=True))
        self.merged = merge(self.base, self.documents)
        self.fetched_at = time.monotonic()

    async def document(self) -> dict:
        age = time.monotonic() - self.fetched_at
        if self.merged is None:
            async with self._lock:
                if self.merged is None:
                    await self._reload()
        elif (age > self.refresh or (age > 15 and None in self.documents.values())) and (
            self._task is None or self._task.done()
        ):
            # Stale (or a service was missing): serve what we have, refresh behind the scenes.
            self._task = asyncio.get_running_loop().create_task(self._reload())
        return self.merged
