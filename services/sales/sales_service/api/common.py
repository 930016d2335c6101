"""Small helpers every sales blueprint uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import request

from servicekit.etag import expected_version, with_etag
from servicekit.identity import Identity
from servicekit.webctx import require_scope, service

IF_MATCH = {
    "parameters": [
        {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}
    ]
}
IF_MATCH_OPTIONAL = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "Apply the action only if the record is still at this ETag.",
        }
    ]
}


def require_scopes(*scopes: str) -> Identity:
    """Function-level check for every scope an action needs."""
    identity = None
    for scope in scopes:
        identity = require_scope(scope)
    return identity


def optional_version() -> int | None:
    """The version in If-Match when the client sent one (actions); None otherwise."""
    if request.headers.get("If-Match"):
        return expected_version()
    return None


def with_version(body: dict | None) -> dict:
    out = dict(body or {})
    out["expected_version"] = optional_version()
    return out


def created(obj, location: str):
    return with_etag(obj, obj.version, 201, {"Location": location})


def paging(query: dict) -> tuple[int, str | None, str]:
    return query.pop("limit"), query.pop("cursor"), query.pop("sort")


class Reader:
    """The repositories of a unit of work on a read-only session (previews, lookups)."""

    def __init__(self, session, repositories: dict) -> None:
        self.session = session
        for name, factory in repositories.items():
            setattr(self, name, factory(session))


@contextmanager
def reading() -> Iterator[Reader]:
    rt = service()
    with rt.db.session() as session:
        yield Reader(session, rt.uow.repositories)
