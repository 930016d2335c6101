"""Repositories: aggregates in and out of the database, mapped by hand with SQLAlchemy Core.

Every aggregate a repository hands out or takes in is kept in ``seen`` so the unit of work can
collect its events. ``save`` is an optimistic update: it only succeeds when the row is still at
the version the aggregate was read at.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from customer_service.adapters import tables as t
from customer_service.domain.attributes import AttributeDefinition
from customer_service.domain.contact_points import EmailAddress, Phone
from customer_service.domain.duplicates import Candidate
from customer_service.domain.errors import StateConflict
from customer_service.domain.imports import ImportJob
from customer_service.domain.interactions import Interaction
from customer_service.domain.model import Address, Behaviour, Consent, Customer
from customer_service.domain.segments import Segment
from servicekit.types import UtcDateTime


class ConcurrentModification(StateConflict):
    """Someone else saved the record after we read it."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def customer_row(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "name": c.name,
        "name_key": c.name_key,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "company_id": c.company_id,
        "job_title": c.job_title,
        "emails": [
            {"address": e.address, "label": e.label, "primary": e.primary} for e in c.emails
        ],
        "phones": [{"number": p.number, "label": p.label, "primary": p.primary} for p in c.phones],
        "primary_email": c.primary_email,
        "primary_phone": c.primary_phone,
        "country": c.address.country,
        "region": c.address.region,
        "city": c.address.city,
        "postal_code": c.address.postal_code,
        "street": c.address.street,
        "industry": c.industry,
        "size": c.size,
        "source": c.source,
        "lifecycle_stage": c.lifecycle_stage,
        "owner_id": c.owner_id,
        "owner_team": c.owner_team,
        "tags": list(c.tags),
        "attributes": c.attributes,
        "demographics": c.demographics,
        "psychographics": c.psychographics,
        "consents": {
            ch: {"status": v.status, "source": v.source, "at": _iso(v.at)}
            for ch, v in c.consents.items()
        },
        "scores": c.scores,
        "orders_count": c.behaviour.orders_count,
        "total_spent": c.behaviour.total_spent,
        "spent_currency": c.behaviour.currency,
        "first_order_at": c.behaviour.first_order_at,
        "last_order_at": c.behaviour.last_order_at,
        "status": c.status,
        "merged_into": c.merged_into,
        "version": c.version,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "created_by": c.created_by,
    }


def customer_from_row(row: Any) -> Customer:
    m = row._mapping if hasattr(row, "_mapping") else row
    return Customer(
        id=m["id"],
        kind=m["kind"],
        name=m["name"],
        first_name=m["first_name"],
        last_name=m["last_name"],
        company_id=m["company_id"],
        job_title=m["job_title"],
        emails=[
            EmailAddress(e["address"], e.get("label"), bool(e.get("primary"))) for e in m["emails"]
        ],
        phones=[Phone(p["number"], p.get("label"), bool(p.get("primary"))) for p in m["phones"]],
        address=Address(m["country"], m["region"], m["city"], m["postal_code"], m["street"]),
        industry=m["industry"],
        size=m["size"],
        source=m["source"],
        lifecycle_stage=m["lifecycle_stage"],
        owner_id=m["owner_id"],
        owner_team=m["owner_team"],
        tags=list(m["tags"]),
        attributes=dict(m["attributes"]),
        demographics=dict(m["demographics"]),
        psychographics=dict(m["psychographics"]),
        consents={
            ch: Consent(ch, v["status"], v["source"], _dt(v["at"]))
            for ch, v in (m["consents"] or {}).items()
        },
        behaviour=Behaviour(
            m["orders_count"],
            m["total_spent"] or Decimal("0"),
            m["spent_currency"],
            m["first_order_at"],
            m["last_order_at"],
        ),
        scores=dict(m["scores"] or {}),
        status=m["status"],
        merged_into=m["merged_into"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
    )


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Customer] = {}
        self._consent_log: list[dict] = []

    def get(self, customer_id: str) -> Customer | None:
        if customer_id in self.seen:
            return self.seen[customer_id]
        row = self.session.execute(
            select(t.customers).where(t.customers.c.id == customer_id)
        ).first()
        if row is None:
            return None
        customer = customer_from_row(row)
        self.seen[customer.id] = customer
        return customer

    def get_many(self, ids: list[str]) -> list[Customer]:
        missing = [i for i in ids if i not in self.seen]
        if missing:
            for row in self.session.execute(
                select(t.customers).where(t.customers.c.id.in_(missing))
            ):
                customer = customer_from_row(row)
                self.seen[customer.id] = customer
        return [self.seen[i] for i in ids if i in self.seen]

    def add(self, customer: Customer) -> None:
        self.session.execute(insert(t.customers).values(**customer_row(customer)))
        self._write_side_tables(customer)
        self.seen[customer.id] = customer

    def add_many(self, items: list[Customer]) -> None:
        """Bulk insert (imports): one statement per table for the whole batch."""
        if not items:
            return
        self.session.execute(insert(t.customers), [customer_row(c) for c in items])
        points = [p for c in items for p in _points(c)]
        if points:
            self.session.execute(insert(t.contact_points), points)
        tags = [{"customer_id": c.id, "tag": tag} for c in items for tag in c.tags]
        if tags:
            self.session.execute(insert(t.customer_tags), tags)
        for c in items:
            self.seen[c.id] = c

    def save(self, customer: Customer) -> None:
        row = customer_row(customer)
        row["version"] = customer.version + 1
        result = self.session.execute(
            update(t.customers)
            .where(t.customers.c.id == customer.id, t.customers.c.version == customer.version)
            .values(**{k: v for k, v in row.items() if k != "id"})
        )
        if result.rowcount != 1:
            raise ConcurrentModification(
                f"customer {customer.id} changed meanwhile; fetch it again and retry"
            )
        customer.version += 1
        self._write_side_tables(customer, replace=True)
        self.seen[customer.id] = customer

    def _write_side_tables(self, customer: Customer, replace: bool = False) -> None:
        if replace:
            self.session.execute(
                delete(t.contact_points).where(t.contact_points.c.customer_id == customer.id)
            )
            self.session.execute(
                delete(t.customer_tags).where(t.customer_tags.c.customer_id == customer.id)
            )
        points = _points(customer) if customer.is_active else []
        if points:
            self.session.execute(insert(t.contact_points), points)
        if customer.tags:
            self.session.execute(
                insert(t.customer_tags),
                [{"customer_id": customer.id, "tag": tag} for tag in customer.tags],
            )

    def log_consent(
        self,
        customer_id: str,
        consent: Consent,
        recorded_by: str | None,
        evidence: str | None,
        recorded_at: datetime,
    ) -> None:
        self.session.execute(
            insert(t.consent_history).values(
                customer_id=customer_id,
                channel=consent.channel,
                status=consent.status,
                source=consent.source,
                at=consent.at,
                recorded_at=recorded_at,
                recorded_by=recorded_by,
                evidence=evidence,
            )
        )

    def is_company(self, customer_id: str) -> bool:
        return (
            self.session.execute(
                select(t.customers.c.id).where(
                    t.customers.c.id == customer_id,
                    t.customers.c.kind == "company",
                    t.customers.c.status == "active",
                )
            ).first()
            is not None
        )

    def matching_contact_points(
        self, emails: list[str], phones: list[str], exclude: str | None = None
    ) -> list[Candidate]:
        conditions = []
        if emails:
            conditions.append(
                and_(t.contact_points.c.kind == "email", t.contact_points.c.value.in_(emails))
            )
        if phones:
            conditions.append(
                and_(t.contact_points.c.kind == "phone", t.contact_points.c.value.in_(phones))
            )
        if not conditions:
            return []
        query = select(t.contact_points).where(or_(*conditions))
        if exclude:
            query = query.where(t.contact_points.c.customer_id != exclude)
        return [Candidate(r.customer_id, r.kind, 100, r.value) for r in self.session.execute(query)]

    def contact_point_owners(self, kind: str, values: list[str]) -> dict[str, str]:
        """value -> an active customer holding it (imports, lead matching)."""
        if not values:
            return {}
        rows = self.session.execute(
            select(t.contact_points.c.value, t.contact_points.c.customer_id)
            .where(t.contact_points.c.kind == kind, t.contact_points.c.value.in_(values))
            .order_by(t.contact_points.c.customer_id)
        )
        out: dict[str, str] = {}
        for value, customer_id in rows:
            out.setdefault(value, customer_id)
        return out

    def name_neighbours(self, customer: Customer, limit: int = 200) -> list[tuple[str, str]]:
        """``(id, name_key)`` of active customers that could be the same one by name.

        Blocking keeps this cheap: persons are compared within the same company (or, without
        one, the same city), companies with companies sharing the name's first three letters.
        """
        c = t.customers.c
        query = select(c.id, c.name_key).where(
            c.status == "active", c.kind == customer.kind, c.id != customer.id
        )
        key = customer.name_key
        if customer.kind == "person":
            if customer.company_id:
                query = query.where(c.company_id == customer.company_id)
            elif customer.address.city:
                query = query.where(
                    c.city == customer.address.city,
                    c.name_key.like(f"{key[:1]}%") | c.name_key.like(f"% {key[:1]}%"),
                )
            else:
                return []
        else:
            query = query.where(c.name_key.like(f"{key[:3]}%"))
        return [(r.id, r.name_key) for r in self.session.execute(query.limit(limit))]

    def rekey_company(self, old_ids: list[str], new_id: str) -> None:
        self.session.execute(
            update(t.customers)
            .where(t.customers.c.company_id.in_(old_ids))
            .values(company_id=new_id)
        )


def _points(customer: Customer) -> list[dict]:
    return [
        {"customer_id": customer.id, "kind": "email", "value": e.address} for e in customer.emails
    ] + [{"customer_id": customer.id, "kind": "phone", "value": p.number} for p in customer.phones]


class InteractionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Interaction] = {}

    def add(self, item: Interaction) -> None:
        self.session.execute(insert(t.interactions).values(**_interaction_row(item)))
        self.seen[item.id] = item

    def get(self, customer_id: str, interaction_id: str) -> Interaction | None:
        row = self.session.execute(
            select(t.interactions).where(
                t.interactions.c.id == interaction_id, t.interactions.c.customer_id == customer_id
            )
        ).first()
        if row is None:
            return None
        item = Interaction(**row._mapping)
        self.seen[item.id] = item
        return item

    def save(self, item: Interaction) -> None:
        row = _interaction_row(item)
        row["version"] = item.version + 1
        result = self.session.execute(
            update(t.interactions)
            .where(t.interactions.c.id == item.id, t.interactions.c.version == item.version)
            .values(**row)
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"interaction {item.id} changed meanwhile")
        item.version += 1

    def rekey(self, old_ids: list[str], new_id: str) -> None:
        self.session.execute(
            update(t.interactions)
            .where(t.interactions.c.customer_id.in_(old_ids))
            .values(customer_id=new_id)
        )

    def scrub(self, customer_id: str) -> None:
        """Erasure: keep that contact happened (counts), drop what was said."""
        self.session.execute(
            update(t.interactions)
            .where(t.interactions.c.customer_id == customer_id)
            .values(subject=None, notes=None, next_step=None, actor_name=None)
        )


def _interaction_row(i: Interaction) -> dict:
    return {
        "id": i.id,
        "customer_id": i.customer_id,
        "kind": i.kind,
        "occurred_at": i.occurred_at,
        "actor_id": i.actor_id,
        "actor_name": i.actor_name,
        "subject": i.subject,
        "notes": i.notes,
        "outcome": i.outcome,
        "next_step": i.next_step,
        "next_step_due": i.next_step_due,
        "version": i.version,
        "created_at": i.created_at,
    }


class AttributeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, AttributeDefinition]:
        return {
            r.key: AttributeDefinition(**r._mapping)
            for r in self.session.execute(select(t.attribute_definitions))
        }

    def get(self, key: str) -> AttributeDefinition | None:
        row = self.session.execute(
            select(t.attribute_definitions).where(t.attribute_definitions.c.key == key)
        ).first()
        return AttributeDefinition(**row._mapping) if row else None

    def add(self, item: AttributeDefinition) -> None:
        self.session.execute(insert(t.attribute_definitions).values(**vars(item)))

    def save(self, item: AttributeDefinition) -> None:
        values = dict(vars(item))
        values["version"] = item.version + 1
        result = self.session.execute(
            update(t.attribute_definitions)
            .where(
                t.attribute_definitions.c.key == item.key,
                t.attribute_definitions.c.version == item.version,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"attribute {item.key} changed meanwhile")
        item.version += 1

    def delete(self, key: str) -> None:
        self.session.execute(
            delete(t.attribute_definitions).where(t.attribute_definitions.c.key == key)
        )

    def in_use(self, key: str) -> bool:
        # JSON key presence differs by dialect; scanning attributes of customers that have any
        # is acceptable for an admin action.
        rows = self.session.execute(
            select(t.customers.c.attributes).where(t.customers.c.status == "active")
        )
        return any(key in (r.attributes or {}) for r in rows)


class SegmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Segment] = {}

    def get(self, segment_id: str) -> Segment | None:
        if segment_id in self.seen:
            return self.seen[segment_id]
        row = self.session.execute(select(t.segments).where(t.segments.c.id == segment_id)).first()
        if row is None:
            return None
        segment = Segment(**row._mapping)
        self.seen[segment.id] = segment
        return segment

    def add(self, segment: Segment) -> None:
        self.session.execute(insert(t.segments).values(**_segment_row(segment)))
        self.seen[segment.id] = segment

    def save(self, segment: Segment) -> None:
        row = _segment_row(segment)
        row["version"] = segment.version + 1
        result = self.session.execute(
            update(t.segments)
            .where(t.segments.c.id == segment.id, t.segments.c.version == segment.version)
            .values(**row)
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"segment {segment.id} changed meanwhile")
        segment.version += 1
        self.seen[segment.id] = segment

    def active_dynamic(self) -> list[tuple[str, int, dict]]:
        """``(id, version, rules)`` of every active dynamic segment (cheap; called per change)."""
        return [
            (r.id, r.version, r.rules)
            for r in self.session.execute(
                select(t.segments.c.id, t.segments.c.version, t.segments.c.rules).where(
                    t.segments.c.status == "active",
                    t.segments.c.kind == "dynamic",
                    t.segments.c.evaluation != "pending",
                )
            )
        ]

    def memberships(self, customer_id: str) -> set[str]:
        return set(
            self.session.execute(
                select(t.segment_members.c.segment_id).where(
                    t.segment_members.c.customer_id == customer_id
                )
            ).scalars()
        )

    def memberships_of(self, customer_ids: list[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for segment_id, customer_id in self.session.execute(
            select(t.segment_members.c.segment_id, t.segment_members.c.customer_id).where(
                t.segment_members.c.customer_id.in_(customer_ids)
            )
        ):
            out.setdefault(customer_id, set()).add(segment_id)
        return out

    def add_members(self, segment_id: str, customer_ids: list[str], at: datetime) -> None:
        if customer_ids:
            self.session.execute(
                insert(t.segment_members),
                [
                    {"segment_id": segment_id, "customer_id": cid, "added_at": at}
                    for cid in customer_ids
                ],
            )
            self._bump_count(segment_id, len(customer_ids))

    def remove_members(self, segment_id: str, customer_ids: list[str]) -> None:
        if customer_ids:
            result = self.session.execute(
                delete(t.segment_members).where(
                    t.segment_members.c.segment_id == segment_id,
                    t.segment_members.c.customer_id.in_(customer_ids),
                )
            )
            self._bump_count(segment_id, -(result.rowcount or 0))

    def member_ids(self, segment_id: str, customer_ids: list[str] | None = None) -> set[str]:
        query = select(t.segment_members.c.customer_id).where(
            t.segment_members.c.segment_id == segment_id
        )
        if customer_ids is not None:
            query = query.where(t.segment_members.c.customer_id.in_(customer_ids))
        return set(self.session.execute(query).scalars())

    def _bump_count(self, segment_id: str, delta: int) -> None:
        # A counter update, not a version bump: membership is not an edit of the definition.
        self.session.execute(
            update(t.segments)
            .where(t.segments.c.id == segment_id)
            .values(member_count=t.segments.c.member_count + delta)
        )

    def recount(self, segment_id: str) -> int:
        count = self.session.execute(
            select(func.count())
            .select_from(t.segment_members)
            .where(t.segment_members.c.segment_id == segment_id)
        ).scalar_one()
        self.session.execute(
            update(t.segments).where(t.segments.c.id == segment_id).values(member_count=count)
        )
        return count

    def set_evaluation(self, segment_id: str, state: str, evaluated_at: datetime | None) -> None:
        values: dict[str, Any] = {"evaluation": state}
        if evaluated_at is not None:
            values["evaluated_at"] = evaluated_at
        self.session.execute(
            update(t.segments).where(t.segments.c.id == segment_id).values(**values)
        )

    def drop_customer(self, customer_id: str) -> list[str]:
        """Remove a customer from every segment; returns the segments it left."""
        left = sorted(self.memberships(customer_id))
        for segment_id in left:
            self.remove_members(segment_id, [customer_id])
        return left


def _segment_row(s: Segment) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "rules": s.rules,
        "status": s.status,
        "evaluation": s.evaluation,
        "member_count": s.member_count,
        "evaluated_at": s.evaluated_at,
        "version": s.version,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "created_by": s.created_by,
    }


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: ImportJob, content: str) -> None:
        self.session.execute(insert(t.import_jobs).values(**vars(job)))
        self.session.execute(insert(t.import_files).values(job_id=job.id, content=content))

    def get(self, job_id: str) -> ImportJob | None:
        row = self.session.execute(
            select(t.import_jobs).where(t.import_jobs.c.id == job_id)
        ).first()
        return ImportJob(**row._mapping) if row else None

    def content(self, job_id: str) -> str:
        return self.session.execute(
            select(t.import_files.c.content).where(t.import_files.c.job_id == job_id)
        ).scalar_one()

    def save(self, job: ImportJob) -> None:
        values = dict(vars(job))
        values["version"] = job.version + 1
        result = self.session.execute(
            update(t.import_jobs)
            .where(t.import_jobs.c.id == job.id, t.import_jobs.c.version == job.version)
            .values(**values)
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"import {job.id} changed meanwhile")
        job.version += 1

    def next_runnable(self, stale_before: datetime) -> ImportJob | None:
        """The oldest queued job, or a running one whose worker stopped reporting."""
        row = self.session.execute(
            select(t.import_jobs)
            .where(
                or_(
                    t.import_jobs.c.status == "queued",
                    and_(
                        t.import_jobs.c.status == "running",
                        t.import_jobs.c.heartbeat_at < stale_before,
                    ),
                )
            )
            .order_by(t.import_jobs.c.created_at)
            .limit(1)
        ).first()
        return ImportJob(**row._mapping) if row else None

    def drop_file(self, job_id: str) -> None:
        self.session.execute(delete(t.import_files).where(t.import_files.c.job_id == job_id))


class OrderLedger:
    """Per-order facts from sales events, folded into each customer's behaviour."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str):
        return self.session.execute(
            select(t.customer_orders).where(t.customer_orders.c.order_id == order_id)
        ).first()

    def upsert(self, order_id: str, **values) -> None:
        if self.get(order_id) is None:
            defaults = {
                "status": "placed",
                "base_total": Decimal(0),
                "paid_amount": Decimal(0),
                "returned_amount": Decimal(0),
                "revision": 0,
            }
            self.session.execute(
                insert(t.customer_orders).values(order_id=order_id, **{**defaults, **values})
            )
        else:
            self.session.execute(
                update(t.customer_orders)
                .where(t.customer_orders.c.order_id == order_id)
                .values(**values)
            )

    def behaviour(self, customer_id: str) -> Behaviour:
        c = t.customer_orders.c
        live = c.status != "cancelled"
        row = self.session.execute(
            select(
                func.count().filter(live),
                type_coerce(func.min(c.placed_at).filter(live), UtcDateTime()),
                type_coerce(func.max(c.placed_at).filter(live), UtcDateTime()),
                func.max(c.currency),
            ).where(c.customer_id == customer_id)
        ).one()
        amounts = self.session.execute(
            select(c.paid_amount, c.returned_amount).where(c.customer_id == customer_id)
        ).all()
        spent = sum((p - r for p, r in amounts), Decimal("0"))
        return Behaviour(
            orders_count=row[0] or 0,
            total_spent=max(spent, Decimal("0")),
            currency=row[3],
            first_order_at=row[1],
            last_order_at=row[2],
        )

    def rekey(self, old_ids: list[str], new_id: str) -> None:
        self.session.execute(
            update(t.customer_orders)
            .where(t.customer_orders.c.customer_id.in_(old_ids))
            .values(customer_id=new_id)
        )
