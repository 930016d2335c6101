"""Read side: listings, search, filters and views. Reads never open a unit of work."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from customer_service.adapters import tables as t
from customer_service.adapters.repositories import customer_from_row
from customer_service.domain.contact_points import name_key, normalise_email, normalise_phone
from customer_service.domain.errors import InvalidValue
from customer_service.service.access import CUSTOMER_REACH
from servicekit.identity import Identity
from servicekit.jsonutil import isoformat
from servicekit.pagination import Page, SortKey, keyset_page

c = t.customers.c

CUSTOMER_SORTS = {
    "name": SortKey("name", (c.name_key, c.id)),
    "-name": SortKey("-name", (c.name_key, c.id), descending=True),
    "created_at": SortKey("created_at", (c.created_at, c.id)),
    "-created_at": SortKey("-created_at", (c.created_at, c.id), descending=True),
    "updated_at": SortKey("updated_at", (c.updated_at, c.id)),
    "-updated_at": SortKey("-updated_at", (c.updated_at, c.id), descending=True),
}
_SORT_ATTR = {"name": "name_key", "created_at": "created_at", "updated_at": "updated_at"}


def reach_filter(identity: Identity):
    """SQL condition limiting customers to those the caller may see (None: all)."""
    reach = identity.reach(CUSTOMER_REACH)
    if reach == "all":
        return None
    if reach == "team":
        conditions = [c.owner_id == identity.id]
        if identity.team:
            conditions.append(c.owner_team == identity.team)
        return or_(*conditions)
    if reach == "own":
        return c.owner_id == identity.id
    return c.id.is_(None)  # sees nothing


def _search(q: str):
    q = q.strip()
    if "@" in q:
        try:
            value = normalise_email(q)
        except InvalidValue:
            value = q.lower()
        return c.id.in_(
            select(t.contact_points.c.customer_id).where(
                t.contact_points.c.kind == "email", t.contact_points.c.value.like(f"{value}%")
            )
        )
    digits = "".join(ch for ch in q if ch.isdigit())
    if q.startswith("+") or (digits and len(digits) >= 6 and len(digits) >= len(q) - 4):
        try:
            value = normalise_phone(q)
        except InvalidValue:
            value = "+" + digits
        return c.id.in_(
            select(t.contact_points.c.customer_id).where(
                t.contact_points.c.kind == "phone", t.contact_points.c.value.like(f"%{value[1:]}%")
            )
        )
    key = name_key(q)
    if not key:
        raise InvalidValue("q has nothing to search for", details={"q": ["no letters or digits"]})
    return c.name_key.like(f"%{_escape(key)}%", escape="\\")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_conditions(identity: Identity, filters: dict[str, Any]) -> list:
    conditions = [c.status == filters.get("status", "active")]
    reach = reach_filter(identity)
    if reach is not None:
        conditions.append(reach)
    if filters.get("q"):
        conditions.append(_search(filters["q"]))
    for name in (
        "kind",
        "country",
        "region",
        "city",
        "industry",
        "size",
        "source",
        "lifecycle_stage",
        "owner_id",
        "owner_team",
        "company_id",
    ):
        if filters.get(name) is not None:
            column = getattr(c, name)
            value = filters[name]
            conditions.append(column.in_(value) if isinstance(value, list) else column == value)
    if filters.get("tag"):
        conditions.append(
            c.id.in_(
                select(t.customer_tags.c.customer_id).where(
                    t.customer_tags.c.tag == filters["tag"].strip().lower()
                )
            )
        )
    if filters.get("segment_id"):
        conditions.append(
            c.id.in_(
                select(t.segment_members.c.customer_id).where(
                    t.segment_members.c.segment_id == filters["segment_id"]
                )
            )
        )
    if filters.get("created_after"):
        conditions.append(c.created_at >= filters["created_after"])
    if filters.get("created_before"):
        conditions.append(c.created_at < filters["created_before"])
    if filters.get("updated_since"):
        conditions.append(c.updated_at >= filters["updated_since"])
    if filters.get("min_orders") is not None:
        conditions.append(c.orders_count >= filters["min_orders"])
    return conditions


def list_customers(
    session,
    identity: Identity,
    filters: dict[str, Any],
    *,
    limit: int,
    cursor: str | None,
    sort: str,
    with_total: bool = False,
) -> Page:
    conditions = customer_conditions(identity, filters)
    key = CUSTOMER_SORTS[sort]
    attr = _SORT_ATTR[sort.lstrip("-")]
    page = keyset_page(
        session,
        select(t.customers).where(and_(*conditions)),
        key,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (getattr(r, attr), r.id),
        scalars=False,
    )
    page.items = [customer_from_row(r) for r in page.items]
    if with_total:
        page.total = session.execute(
            select(func.count()).select_from(t.customers).where(and_(*conditions))
        ).scalar_one()
    return page


EXPORT_COLUMNS = [
    "id",
    "kind",
    "name",
    "first_name",
    "last_name",
    "company_id",
    "job_title",
    "email",
    "phone",
    "country",
    "region",
    "city",
    "postal_code",
    "industry",
    "size",
    "source",
    "lifecycle_stage",
    "owner_id",
    "owner_team",
    "tags",
    "orders_count",
    "total_spent",
    "last_order_at",
    "created_at",
    "updated_at",
]


EXPORT_BATCH = 1000


def export_rows(db, identity: Identity, filters: dict[str, Any]) -> Iterator[str]:
    """The CSV export, generated row by row in keyset batches (never all in memory).

    Everything that can refuse the request happens here, before the response starts: the filters
    become conditions (a search with nothing to search for is refused) and the first batch is read
    (the database has accepted the query). Only then is the stream handed back, so a bad filter
    is a 422 in the standard shape, never a 200 whose download stops after the header row.
    """
    conditions = customer_conditions(identity, filters)
    first = _export_batch(db, conditions, "")
    return _export_stream(db, conditions, first)


def _export_batch(db, conditions: list, after: str) -> list:
    with db.session() as session:
        return session.execute(
            select(t.customers)
            .where(and_(*conditions), c.id > after)
            .order_by(c.id)
            .limit(EXPORT_BATCH)
        ).all()


def _export_stream(db, conditions: list, rows: list) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    while rows:
        for row in rows:
            m = row._mapping
            writer.writerow(
                [
                    m["id"],
                    m["kind"],
                    _safe(m["name"]),
                    _safe(m["first_name"]),
                    _safe(m["last_name"]),
                    m["company_id"],
                    _safe(m["job_title"]),
                    m["primary_email"],
                    m["primary_phone"],
                    m["country"],
                    _safe(m["region"]),
                    _safe(m["city"]),
                    m["postal_code"],
                    _safe(m["industry"]),
                    m["size"],
                    _safe(m["source"]),
                    m["lifecycle_stage"],
                    m["owner_id"],
                    m["owner_team"],
                    ";".join(m["tags"]),
                    m["orders_count"],
                    m["total_spent"],
                    _iso(m["last_order_at"]),
                    _iso(m["created_at"]),
                    _iso(m["updated_at"]),
                ]
            )
        yield flush()
        rows = _export_batch(db, conditions, rows[-1].id) if len(rows) == EXPORT_BATCH else []


def _iso(value: datetime | None) -> str:
    return isoformat(value) if value else ""


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value if value is not None else ""


def interactions_page(
    session, customer_id: str, *, limit: int, cursor: str | None, kind: str | None
) -> Page:
    i = t.interactions.c
    query = select(t.interactions).where(i.customer_id == customer_id)
    if kind:
        query = query.where(i.kind == kind)
    sort = SortKey("-occurred_at", (i.occurred_at, i.id), descending=True)
    return keyset_page(
        session,
        query,
        sort,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.occurred_at, r.id),
        scalars=False,
    )


def consent_history(session, customer_id: str) -> list:
    h = t.consent_history.c
    return session.execute(
        select(t.consent_history)
        .where(h.customer_id == customer_id)
        .order_by(h.recorded_at.desc(), h.id.desc())
        .limit(500)
    ).all()


def contacts_of(session, identity: Identity, company_id: str) -> list:
    conditions = customer_conditions(identity, {"company_id": company_id})
    rows = session.execute(
        select(t.customers).where(and_(*conditions)).order_by(c.name_key, c.id).limit(500)
    ).all()
    return [customer_from_row(r) for r in rows]


def segments_page(
    session, *, limit: int, cursor: str | None, status: str | None, kind: str | None
) -> Page:
    s = t.segments.c
    query = select(t.segments)
    if status:
        query = query.where(s.status == status)
    if kind:
        query = query.where(s.kind == kind)
    return keyset_page(
        session,
        query,
        SortKey("name", (s.name, s.id)),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.name, r.id),
        scalars=False,
    )


def members_page(
    session, identity: Identity, segment_id: str, *, limit: int, cursor: str | None
) -> Page:
    m = t.segment_members.c
    query = (
        select(t.customers)
        .join(t.segment_members, m.customer_id == c.id)
        .where(m.segment_id == segment_id)
    )
    reach = reach_filter(identity)
    if reach is not None:
        query = query.where(reach)
    page = keyset_page(
        session,
        query,
        SortKey("id", (c.id,)),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.id,),
        scalars=False,
    )
    page.items = [customer_from_row(r) for r in page.items]
    return page


def imports_page(session, identity: Identity, *, limit: int, cursor: str | None) -> Page:
    j = t.import_jobs.c
    query = select(t.import_jobs)
    if not identity.is_admin and identity.kind != "api_key":
        query = query.where(j.created_by == identity.id)
    return keyset_page(
        session,
        query,
        SortKey("-created_at", (j.created_at, j.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )


def duplicate_groups(session, identity: Identity, limit: int = 100) -> list[dict]:
    """Groups of active customers sharing a normalised email or phone, then close names."""
    from customer_service.domain.duplicates import NAME_THRESHOLD, name_similarity

    p = t.contact_points.c
    reach = reach_filter(identity)
    shared = session.execute(
        select(p.kind, p.value, func.count(p.customer_id))
        .join(t.customers, c.id == p.customer_id)
        .where(c.status == "active", *([reach] if reach is not None else []))
        .group_by(p.kind, p.value)
        .having(func.count(p.customer_id) > 1)
        .limit(limit)
    ).all()
    groups = []
    for kind, value, _count in shared:
        ids = sorted(
            session.execute(select(p.customer_id).where(p.kind == kind, p.value == value)).scalars()
        )
        groups.append({"reason": kind, "value": value, "customer_ids": ids, "score": 100})
    if len(groups) < limit:
        # Fuzzy names: persons within a company, companies sharing a name prefix.
        query = select(c.id, c.kind, c.name_key, c.company_id).where(c.status == "active")
        if reach is not None:
            query = query.where(reach)
        blocks: dict[tuple, list] = {}
        for row in session.execute(query.order_by(c.name_key).limit(50_000)):
            block = (
                (row.kind, row.company_id)
                if row.kind == "person" and row.company_id
                else (row.kind, row.name_key[:3])
                if row.kind == "company"
                else None
            )
            if block:
                blocks.setdefault(block, []).append(row)
        seen_pairs = {tuple(g["customer_ids"]) for g in groups}
        for rows in blocks.values():
            for i, a in enumerate(rows):
                for b in rows[i + 1 : i + 50]:
                    score = name_similarity(a.name_key, b.name_key)
                    pair = tuple(sorted((a.id, b.id)))
                    if score >= NAME_THRESHOLD and pair not in seen_pairs:
                        seen_pairs.add(pair)
                        groups.append(
                            {
                                "reason": "name",
                                "value": a.name_key,
                                "customer_ids": list(pair),
                                "score": score,
                            }
                        )
                        if len(groups) >= limit:
                            return groups
    return groups
