"""Cursor (keyset) pagination.

A cursor is an opaque, url-safe token holding the sort key and id of the last row of a page. The
next page is ``WHERE (sort_key, id) > (last_key, last_id)`` in the sort direction, so it stays
fast and stable however deep a client pages, and rows inserted meanwhile are neither skipped nor
repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session

from servicekit.errors import BadRequest
from servicekit.jsonutil import isoformat

CURSOR_VERSION = 1


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": isoformat(value)}
    if isinstance(value, Decimal):
        return {"d": format(value, "f")}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value and isinstance(value["t"], str):
            return datetime.fromisoformat(value["t"].replace("Z", "+00:00"))
        if "d" in value and isinstance(value["d"], str):
            return Decimal(value["d"])
        raise ValueError("unknown cursor value")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError("unknown cursor value")


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = json.dumps(
        [CURSOR_VERSION, sort, [_encode_value(v) for v in values]], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str, arity: int) -> list[Any]:
    """The key values in ``token``; 400 ``invalid_cursor`` for anything that is not ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        version, cursor_sort, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if version != CURSOR_VERSION or cursor_sort != sort or len(values) != arity:
            raise ValueError("cursor does not belong to this listing")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest(
            "The cursor is not valid for this listing; start again without one.",
            code="invalid_cursor",
            details={"cursor": [str(exc) or "malformed"]},
        ) from None


@dataclass(frozen=True)
class SortKey:
    """A sortable listing order: the column(s) and the direction, with ``id`` as tie-breaker."""

    name: str
    columns: tuple[Any, ...]
    descending: bool = False


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    total: int | None = None

    def to_dict(self, dump: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        items = [dump(i) for i in self.items] if dump else self.items
        return {"items": items, "next_cursor": self.next_cursor, "total": self.total}


def keyset_page(
    session: Session,
    statement: Select,
    sort: SortKey,
    *,
    limit: int,
    cursor: str | None,
    row_key: Callable[[Any], Sequence[Any]],
    scalars: bool = True,
) -> Page:
    """Run ``statement`` for one page ordered by ``sort``.

    ``row_key(row)`` returns the values of ``sort.columns`` for a row (the last one becomes the
    next cursor). The statement must not have its own ORDER BY or LIMIT.
    """
    columns = sort.columns
    if cursor:
        values = decode_cursor(cursor, sort.name, len(columns))
        key = tuple_(*columns)
        statement = statement.where(
            key < tuple_(*values) if sort.descending else key > tuple_(*values)
        )
    order = [c.desc() if sort.descending else c.asc() for c in columns]
    statement = statement.order_by(*order).limit(limit + 1)
    result = session.execute(statement)
    rows = list(result.scalars() if scalars else result)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(sort.name, list(row_key(rows[-1])))
    return Page(items=rows, next_cursor=next_cursor)
