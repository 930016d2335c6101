"""``Idempotency-Key`` on the webhook POSTs that create something (a subscription, a replay, a
redelivery): a retried request gets the first answer, never a second subscription or a second
replay.

The key is recorded by the unit of work in the same transaction as the effect (servicekit's
``pending_idempotency``), in the ``idempotency_keys`` table servicekit's worker purges after a
day. What is kept to answer a retry never holds a secret in clear: a subscription's first
answer is rebuilt from the subscription and its secret's ciphertext.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from gateway.http import read_body
from servicekit import tables
from servicekit.errors import ApiError, Conflict
from servicekit.uow import UnitOfWorkFactory, pending_idempotency

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True)
class Claim:
    principal: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Earlier:
    """The stored first answer of a repeated request."""

    status: int
    body: dict[str, Any]


async def begin(request: web.Request, rt, db, subject: str) -> tuple[Claim | None, Earlier | None]:
    """``(claim, None)`` for a new request with a key, ``(None, earlier)`` for a repeat,
    ``(None, None)`` without a key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None, None
    if not _KEY.match(key):
        raise ApiError(
            "Idempotency-Key must be 1-200 printable ASCII characters.",
            status=400,
            code="invalid_idempotency_key",
        )
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\0" + request.path_qs.encode() + b"\0")
    digest.update(await read_body(request))
    claim = Claim(subject, key, digest.hexdigest())
    earlier = await rt.run(lookup, db, claim)
    return (None, earlier) if earlier is not None else (claim, None)


def lookup(db, claim: Claim) -> Earlier | None:
    k = tables.idempotency_keys
    with db.session() as session:
        row = session.execute(
            select(k).where(k.c.principal == claim.principal, k.c.key == claim.key)
        ).first()
    if row is None:
        return None
    if row.fingerprint != claim.fingerprint:
        raise ApiError(
            "This Idempotency-Key was already used with a different request.",
            status=422,
            code="idempotency_key_reused",
        )
    if row.status_code is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_in_progress",
            headers={"Retry-After": "1"},
        )
    return Earlier(row.status_code, json.loads(row.response_body or "{}"))


def within(claim: Claim | None, effect):
    """``effect`` (blocking) with the key recorded by its unit of work's commit."""

    def run():
        if claim is None:
            return effect()
        token = pending_idempotency.set(
            {"principal": claim.principal, "key": claim.key, "fingerprint": claim.fingerprint}
        )
        try:
            return effect()
        finally:
            pending_idempotency.reset(token)

    return run


def finish(db, claim: Claim | None, status: int, body: dict[str, Any]) -> None:
    """Keep what a repeat of this request is answered with (no secret in clear)."""
    if claim is None:
        return
    k = tables.idempotency_keys
    with UnitOfWorkFactory(db, "gateway")() as uow:
        uow.session.execute(
            update(k)
            .where(k.c.principal == claim.principal, k.c.key == claim.key)
            .values(status_code=status, response_body=json.dumps(body), response_headers="{}")
        )
        uow.commit()


async def guarded(rt, db, claim: Claim | None, effect):
    """Run ``effect`` (blocking) in the thread pool with the key recorded; a concurrent twin
    that recorded the same key first turns into its answer (or 409 while it is in flight)."""
    try:
        return await rt.run(within(claim, effect)), None
    except IntegrityError:
        if claim is None:
            raise
        earlier = await rt.run(lookup, db, claim)
        if earlier is None:
            raise
        return None, earlier
