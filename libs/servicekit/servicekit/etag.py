"""ETag / If-Match on updates, so that two people editing one record cannot lose an update.

Every mutable aggregate has an integer ``version`` (SQLAlchemy's version counter). Its ETag is
``"<version>"``. An update must send ``If-Match`` with the ETag it read: none gives 428, a stale
one 412. The version counter also catches the race between the check and the UPDATE.
"""

from __future__ import annotations

import re

from flask import request

from servicekit.errors import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version() -> int:
    """The version the client read, from ``If-Match``; 428 when missing, 412 when malformed."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    match = _ETAG.match(header)
    if not match:
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(match.group(1))


def check_version(actual: int, expected: int) -> None:
    """412 unless the record is still at the version the client read."""
    if actual != expected:
        raise PreconditionFailed(
            f"The resource is at version {actual}, you read version {expected}; fetch it again."
        )


def with_etag(body, version: int, status: int = 200, headers: dict | None = None):
    """A view return value carrying the ETag header."""
    out = dict(headers or {})
    out["ETag"] = etag_for(version)
    return body, status, out
