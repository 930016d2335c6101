"""``Idempotency-Key`` on POST: a retried request gets the first answer, never a second effect.

The key is recorded by the unit of work in the same transaction as the effect (see
:data:`servicekit.uow.pending_idempotency`), so a crash cannot leave an effect without its key or a
key without its effect. Two concurrent requests with one key: the second one's commit collides on
the key and rolls back, then it answers with the first one's response (or 409 while that is still
being written). Reusing a key with a different request is a 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from flask import make_response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from servicekit import tables
from servicekit.errors import ApiError, Conflict
from servicekit.types import utcnow
from servicekit.uow import pending_idempotency
from servicekit.webctx import current_identity, service

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_STORED_HEADERS = ("Location", "ETag", "Content-Type")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.full_path.encode())
    digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _lookup(principal: str, key: str):
    with service().db.session() as session:
        return session.execute(
            select(tables.idempotency_keys).where(
                tables.idempotency_keys.c.principal == principal,
                tables.idempotency_keys.c.key == key,
            )
        ).first()


def _replay(row, fingerprint: str):
    if row.fingerprint != fingerprint:
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
    response = make_response(row.response_body or "", row.status_code)
    for name, value in json.loads(row.response_headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Decorate a POST view (outermost, above flask-smorest's decorators)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST":
            return view(*args, **kwargs)
        if not _KEY.match(key):
            raise ApiError(
                "Idempotency-Key must be 1-200 printable ASCII characters.",
                status=400,
                code="invalid_idempotency_key",
            )
        principal = current_identity().subject
        fingerprint = _fingerprint()
        row = _lookup(principal, key)
        if row is not None:
            return _replay(row, fingerprint)
        pending = {"principal": principal, "key": key, "fingerprint": fingerprint}
        token = pending_idempotency.set(pending)
        try:
            result = view(*args, **kwargs)
        except IntegrityError:
            row = _lookup(principal, key)
            if row is None:
                raise
            return _replay(row, fingerprint)
        finally:
            pending_idempotency.reset(token)
        response = make_response(result)
        if pending.get("recorded"):
            _store(principal, key, response)
        return response

    return wrapper


def _store(principal: str, key: str, response) -> None:
    headers = {h: response.headers[h] for h in _STORED_HEADERS if h in response.headers}
    with service().db.write_session() as session:
        session.execute(
            update(tables.idempotency_keys)
            .where(
                tables.idempotency_keys.c.principal == principal,
                tables.idempotency_keys.c.key == key,
            )
            .values(
                status_code=response.status_code,
                response_body=response.get_data(as_text=True),
                response_headers=json.dumps(headers),
            )
        )
        session.commit()


def purge_expired(db, *, older_than_hours: int = 24) -> int:
    """Forget keys older than the replay window; returns how many were removed."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(hours=older_than_hours)
    with db.write_session() as session:
        result = session.execute(
            delete(tables.idempotency_keys).where(tables.idempotency_keys.c.created_at < cutoff)
        )
        session.commit()
        return result.rowcount or 0
