"""Repositories: aggregates in and out of the database, mapped by hand with SQLAlchemy Core.

Every aggregate a repository hands out or takes in is kept in ``seen`` so the unit of work can
collect its events. ``save`` is an optimistic update: it only succeeds when the row is still at
the version the aggregate was read at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sales_service.adapters import tables as t
from sales_service.adapters.codec import decode, decode_list, encode
from sales_service.domain.catalogue import Channel, PriceItem, PriceList, Product
from sales_service.domain.contracts import Contract
from sales_service.domain.coupons import Coupon, Redemption
from sales_service.domain.customers import CustomerCopy
from sales_service.domain.errors import ConcurrentModification, StateConflict
from sales_service.domain.fx import FxRate
from sales_service.domain.leads import AssignmentRule, Contact, Lead, RegionRoute, Rep
from sales_service.domain.opportunities import Competitor, Opportunity
from sales_service.domain.orders import Order, Return, ReturnLine
from sales_service.domain.pipelines import Pipeline, Stage
from sales_service.domain.pricing import Line
from sales_service.domain.quotes import Quote
from sales_service.domain.targets import Target
from sales_service.domain.tasks import Task

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def _list_codec(cls: type) -> Codec:
    return (encode, lambda items: decode_list(cls, items))


def _one_codec(cls: type) -> Codec:
    return (
        lambda value: encode(value) if value is not None else None,
        lambda data: decode(cls, data) if data is not None else None,
    )


class Repository:
    """Maps one aggregate to one table: columns and dataclass fields share their names."""

    table: ClassVar[Table]
    entity: ClassVar[type]
    label: ClassVar[str]
    codecs: ClassVar[dict[str, Codec]] = {}
    computed: ClassVar[dict[str, Callable[[Any], Any]]] = {}
    kept_on_save: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Any] = {}

    # -- mapping ----------------------------------------------------------------------------

    def to_row(self, obj: Any) -> dict[str, Any]:
        row = {}
        for column in self.table.columns:
            name = column.name
            if name in self.computed:
                row[name] = self.computed[name](obj)
            elif hasattr(obj, name):
                value = getattr(obj, name)
                if name in self.codecs:
                    value = self.codecs[name][0](value)
                row[name] = value
        return row

    @classmethod
    def from_row(cls, row: Any) -> Any:
        m = row._mapping if hasattr(row, "_mapping") else row
        kwargs = {}
        for f in dataclasses.fields(cls.entity):
            if f.init and f.name in m:
                value = m[f.name]
                if f.name in cls.codecs:
                    value = cls.codecs[f.name][1](value)
                kwargs[f.name] = value
        return cls.entity(**kwargs)

    # -- reading and writing ----------------------------------------------------------------

    def get(self, key: str, *, lock: bool = False) -> Any | None:
        if key in self.seen:
            return self.seen[key]
        query = select(self.table).where(self.table.c.id == key)
        if lock and self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.session.execute(query).first()
        if row is None:
            return None
        obj = self.from_row(row)
        self._loaded(obj)
        self.seen[obj.id] = obj
        return obj

    def get_many(self, keys: list[str]) -> list[Any]:
        missing = [k for k in keys if k not in self.seen]
        if missing:
            for row in self.session.execute(select(self.table).where(self.table.c.id.in_(missing))):
                obj = self.from_row(row)
                self._loaded(obj)
                self.seen[obj.id] = obj
        return [self.seen[k] for k in keys if k in self.seen]

    def _loaded(self, obj: Any) -> None:
        """Load child rows of an aggregate (override)."""

    def add(self, obj: Any) -> None:
        # Values as parameters, not in the statement: one cached compilation per table.
        self.session.execute(insert(self.table), self.to_row(obj))
        self._write_children(obj, new=True)
        self.seen[obj.id] = obj

    @classmethod
    @cache
    def _update_statement(cls, names: tuple[str, ...]):
        table = cls.table
        return (
            update(table)
            .where(table.c.id == bindparam("k_id"), table.c.version == bindparam("k_version"))
            .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in names})
        )

    def save(self, obj: Any) -> None:
        row = self.to_row(obj)
        for name in ("id", *self.kept_on_save):
            row.pop(name, None)
        row["version"] = obj.version + 1
        params = {f"v_{name}": value for name, value in row.items()}
        params.update(k_id=obj.id, k_version=obj.version)
        result = self.session.execute(self._update_statement(tuple(row)), params)
        if result.rowcount != 1:
            raise ConcurrentModification(
                f"{self.label} {obj.id} changed meanwhile; fetch it again and retry"
            )
        obj.version += 1
        self._write_children(obj, new=False)
        self.seen[obj.id] = obj

    def _write_children(self, obj: Any, new: bool) -> None:
        """Write child rows of an aggregate (override)."""

    def remove(self, obj: Any) -> None:
        self.session.execute(delete(self.table).where(self.table.c.id == obj.id))
        self.seen[obj.id] = obj


# -- catalogue --------------------------------------------------------------------------------


class ProductRepository(Repository):
    table, entity, label = t.products, Product, "product"
    computed = {"sku_key": lambda p: p.sku_key}

    def by_sku(self, sku: str) -> Product | None:
        row = self.session.execute(
            select(t.products).where(t.products.c.sku_key == sku.strip().casefold())
        ).first()
        return self.from_row(row) if row else None

    def add(self, obj: Product) -> None:
        if self.by_sku(obj.sku) is not None:
            raise StateConflict(f"a product with sku {obj.sku} exists already")
        super().add(obj)


class ChannelRepository(Repository):
    table, entity, label = t.channels, Channel, "channel"

    def by_code(self, code: str) -> Channel | None:
        row = self.session.execute(select(t.channels).where(t.channels.c.code == code)).first()
        return self.from_row(row) if row else None


class PriceListRepository(Repository):
    table, entity, label = t.price_lists, PriceList, "price list"

    def _loaded(self, obj: PriceList) -> None:
        rows = self.session.execute(
            select(t.price_list_items)
            .where(t.price_list_items.c.price_list_id == obj.id)
            .order_by(t.price_list_items.c.product_id, t.price_list_items.c.min_quantity)
        )
        obj.items = [PriceItem(r.product_id, r.unit_price, r.min_quantity) for r in rows]

    def _write_children(self, obj: PriceList, new: bool) -> None:
        if not new:
            self.session.execute(
                delete(t.price_list_items).where(t.price_list_items.c.price_list_id == obj.id)
            )
        if obj.items:
            self.session.execute(
                insert(t.price_list_items),
                [
                    {
                        "price_list_id": obj.id,
                        "product_id": i.product_id,
                        "min_quantity": i.min_quantity,
                        "unit_price": i.unit_price,
                    }
                    for i in obj.items
                ],
            )

    def candidates(self, currency: str, product_ids: list[str]) -> list[PriceList]:
        """Active lists in ``currency`` carrying any of the products, with only those items."""
        lists = {
            row.id: self.from_row(row)
            for row in self.session.execute(
                select(t.price_lists).where(
                    t.price_lists.c.currency == currency, t.price_lists.c.active.is_(True)
                )
            )
        }
        if not lists or not product_ids:
            return []
        for row in self.session.execute(
            select(t.price_list_items).where(
                t.price_list_items.c.price_list_id.in_(list(lists)),
                t.price_list_items.c.product_id.in_(product_ids),
            )
        ):
            lists[row.price_list_id].items.append(
                PriceItem(row.product_id, row.unit_price, row.min_quantity)
            )
        return [pl for pl in lists.values() if pl.items]


# -- customers (replica) ----------------------------------------------------------------------


class CustomerReplica(Repository):
    table, entity, label = t.customers, CustomerCopy, "customer"

    def upsert(self, copy: CustomerCopy) -> bool:
        """Store ``copy`` unless what we hold is as new or newer; returns whether it was."""
        c = t.customers.c
        current = self.session.execute(
            select(c.revision, c.status, c.merged_into).where(c.id == copy.id)
        ).first()
        if current is not None and current.revision >= copy.revision:
            return False
        row = self.to_row(copy)
        if current is None:
            self.session.execute(insert(t.customers).values(**row))
        else:
            if current.status in ("merged", "erased") and copy.status == "active":
                # A late update never revives a merged or erased customer.
                row["status"], row["merged_into"] = current.status, current.merged_into
            self.session.execute(
                update(t.customers).where(t.customers.c.id == copy.id).values(**row)
            )
        return True

    def write(self, copy: CustomerCopy) -> None:
        row = self.to_row(copy)
        exists = self.session.execute(
            select(t.customers.c.id).where(t.customers.c.id == copy.id)
        ).first()
        if exists:
            self.session.execute(
                update(t.customers).where(t.customers.c.id == copy.id).values(**row)
            )
        else:
            self.session.execute(insert(t.customers).values(**row))

    def save(self, obj: CustomerCopy) -> None:  # replicas have no optimistic version
        self.write(obj)

    def resolve(self, customer_id: str) -> CustomerCopy | None:
        """The customer, following merges to the survivor."""
        seen = set()
        copy = self.get(customer_id)
        while copy is not None and copy.status == "merged" and copy.merged_into:
            if copy.id in seen:
                return None
            seen.add(copy.id)
            copy = self.get(copy.merged_into)
        return copy

    def rekey(self, old_ids: list[str], survivor_id: str) -> dict[str, int]:
        """Point every sales record of ``old_ids`` at the survivor (after customer.merged)."""
        counts = {}
        for table in (t.leads, t.opportunities, t.quotes, t.orders, t.contracts, t.tasks):
            result = self.session.execute(
                update(table)
                .where(table.c.customer_id.in_(old_ids))
                .values(customer_id=survivor_id, version=table.c.version + 1)
            )
            counts[table.name] = result.rowcount or 0
        self.session.execute(
            update(t.coupon_redemptions)
            .where(t.coupon_redemptions.c.customer_id.in_(old_ids))
            .values(customer_id=survivor_id)
        )
        self.session.execute(
            update(t.channels)
            .where(t.channels.c.partner_customer_id.in_(old_ids))
            .values(partner_customer_id=survivor_id)
        )
        self._merge_coupon_uses(old_ids, survivor_id)
        return counts

    def _merge_coupon_uses(self, old_ids: list[str], survivor_id: str) -> None:
        uses = t.coupon_customer_uses
        rows = self.session.execute(select(uses).where(uses.c.customer_id.in_(old_ids))).all()
        for row in rows:
            existing = self.session.execute(
                select(uses.c.uses).where(
                    uses.c.coupon_id == row.coupon_id, uses.c.customer_id == survivor_id
                )
            ).scalar()
            if existing is None:
                self.session.execute(
                    insert(uses).values(
                        coupon_id=row.coupon_id, customer_id=survivor_id, uses=row.uses
                    )
                )
            else:
                self.session.execute(
                    update(uses)
                    .where(uses.c.coupon_id == row.coupon_id, uses.c.customer_id == survivor_id)
                    .values(uses=existing + row.uses)
                )
        self.session.execute(delete(uses).where(uses.c.customer_id.in_(old_ids)))


# -- leads ------------------------------------------------------------------------------------


class LeadRepository(Repository):
    table, entity, label = t.leads, Lead, "lead"
    codecs = {"contact": _one_codec(Contact)}
    computed = {"contact_email": lambda lead: (lead.contact.email or "").lower() or None
                if lead.contact else None}  # fmt: skip

    def of_customer(self, customer_id: str) -> list[Lead]:
        rows = self.session.execute(select(t.leads).where(t.leads.c.customer_id == customer_id))
        out = []
        for row in rows:
            lead = self.seen.get(row.id) or self.from_row(row)
            self.seen[lead.id] = lead
            out.append(lead)
        return out


class AssignmentRuleRepository(Repository):
    table, entity, label = t.assignment_rules, AssignmentRule, "assignment rule"
    # The cursor moves under concurrent leads; an edit never writes back the value it read.
    kept_on_save = ("cursor",)
    codecs = {"reps": _list_codec(Rep), "region_map": _list_codec(RegionRoute)}

    def ordered(self) -> list[AssignmentRule]:
        rows = self.session.execute(
            select(t.assignment_rules)
            .where(t.assignment_rules.c.active.is_(True))
            .order_by(t.assignment_rules.c.priority, t.assignment_rules.c.created_at)
        )
        return [self.from_row(r) for r in rows]

    def take_turn(self, rule_id: str) -> int:
        """Advance the rule's round-robin cursor atomically; return the turn taken.

        The UPDATE locks the row until commit (PostgreSQL) or runs under the database write
        lock (SQLite), so concurrent leads each get a different turn.
        """
        rules = t.assignment_rules
        value = self.session.execute(
            update(rules)
            .where(rules.c.id == rule_id)
            .values(cursor=rules.c.cursor + 1)
            .returning(rules.c.cursor)
        ).scalar_one()
        return value - 1


# -- pipelines and opportunities --------------------------------------------------------------


class PipelineRepository(Repository):
    table, entity, label = t.pipelines, Pipeline, "pipeline"
    codecs = {"stages": _list_codec(Stage)}

    def default(self) -> Pipeline | None:
        row = self.session.execute(
            select(t.pipelines)
            .where(t.pipelines.c.is_default.is_(True), t.pipelines.c.active.is_(True))
            .order_by(t.pipelines.c.created_at)
        ).first()
        if row is None:
            return None
        return self.get(row.id)

    def clear_default(self, except_id: str) -> None:
        for row in self.session.execute(
            select(t.pipelines.c.id).where(
                t.pipelines.c.is_default.is_(True), t.pipelines.c.id != except_id
            )
        ):
            other = self.get(row.id)
            other.is_default = False
            self.save(other)

    def stage_in_use(self, pipeline_id: str, stage_ids: list[str]) -> int:
        return self.session.execute(
            select(func.count())
            .select_from(t.opportunities)
            .where(
                t.opportunities.c.pipeline_id == pipeline_id,
                t.opportunities.c.stage_id.in_(stage_ids),
            )
        ).scalar_one()


class OpportunityRepository(Repository):
    table, entity, label = t.opportunities, Opportunity, "opportunity"
    codecs = {"competitors": _list_codec(Competitor)}

    def _write_children(self, obj: Opportunity, new: bool) -> None:
        if obj.new_history:
            self.session.execute(
                insert(t.stage_history),
                [
                    {
                        "opportunity_id": obj.id,
                        "from_stage_id": v.from_stage_id,
                        "from_stage_name": v.from_stage_name,
                        "to_stage_id": v.to_stage_id,
                        "to_stage_name": v.to_stage_name,
                        "at": v.at,
                        "seconds_in_previous": v.seconds_in_previous,
                        "probability": v.probability,
                        "amount": v.amount,
                        "currency": v.currency,
                        "by": v.by,
                    }
                    for v in obj.new_history
                ],
            )
            obj.new_history = []

    def in_stages(self, pipeline_id: str, stage_ids: list[str]) -> list[Opportunity]:
        rows = self.session.execute(
            select(t.opportunities).where(
                t.opportunities.c.pipeline_id == pipeline_id,
                t.opportunities.c.stage_id.in_(stage_ids),
            )
        )
        out = []
        for row in rows:
            obj = self.seen.get(row.id) or self.from_row(row)
            self.seen[obj.id] = obj
            out.append(obj)
        return out


# -- quotes and orders ------------------------------------------------------------------------


class QuoteRepository(Repository):
    table, entity, label = t.quotes, Quote, "quote"
    codecs = {"lines": _list_codec(Line)}

    def expiring(self, today: date, limit: int = 500) -> list[str]:
        return list(
            self.session.execute(
                select(t.quotes.c.id)
                .where(t.quotes.c.status == "sent", t.quotes.c.valid_until < today)
                .limit(limit)
            ).scalars()
        )


class OrderRepository(Repository):
    table, entity, label = t.orders, Order, "order"
    codecs = {"lines": _list_codec(Line)}

    def _loaded(self, obj: Order) -> None:
        rows = self.session.execute(
            select(t.order_returns)
            .where(t.order_returns.c.order_id == obj.id)
            .order_by(t.order_returns.c.returned_at)
        )
        obj.returns = [return_from_row(r) for r in rows]

    def _write_children(self, obj: Order, new: bool) -> None:
        for item in obj.new_returns:
            self.session.execute(
                insert(t.order_returns).values(
                    id=item.id,
                    order_id=obj.id,
                    lines=encode(list(item.lines)),
                    amount=item.amount,
                    base_amount=item.base_amount,
                    full=item.full,
                    reason=item.reason,
                    ticket_id=item.ticket_id,
                    return_request_id=item.return_request_id,
                    returned_at=item.returned_at,
                    created_by=item.created_by,
                )
            )
        obj.new_returns = []


def return_from_row(row: Any) -> Return:
    m = row._mapping
    return Return(
        id=m["id"],
        order_id=m["order_id"],
        lines=tuple(decode_list(ReturnLine, m["lines"])),
        amount=m["amount"],
        base_amount=m["base_amount"],
        full=m["full"],
        returned_at=m["returned_at"],
        reason=m["reason"],
        ticket_id=m["ticket_id"],
        return_request_id=m["return_request_id"],
        created_by=m["created_by"],
    )


class CouponLedger:
    """Coupons (replicated) and their redemptions; the limits are enforced here, atomically."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Any] = {}

    @staticmethod
    def coupon_from_row(row: Any) -> Coupon:
        m = row._mapping
        return Coupon(**{f.name: m[f.name] for f in dataclasses.fields(Coupon)})

    def get(self, coupon_id: str) -> Coupon | None:
        row = self.session.execute(select(t.coupons).where(t.coupons.c.id == coupon_id)).first()
        return self.coupon_from_row(row) if row else None

    def find(self, code: str) -> tuple[Coupon, bool] | None:
        """The coupon a code belongs to and whether it is a unique (single-use) code."""
        row = self.session.execute(
            select(t.coupons)
            .join(t.coupon_codes, t.coupon_codes.c.coupon_id == t.coupons.c.id)
            .where(t.coupon_codes.c.code == code)
        ).first()
        if row is not None:
            return self.coupon_from_row(row), True
        row = self.session.execute(
            select(t.coupons)
            .where(t.coupons.c.code == code, t.coupons.c.mode == "shared")
            .order_by(t.coupons.c.active.desc(), t.coupons.c.revision.desc())
        ).first()
        return (self.coupon_from_row(row), False) if row else None

    def store(self, coupon: Coupon) -> bool:
        """Insert or update the replica unless we hold a newer revision; keeps ``redeemed``."""
        current = self.session.execute(
            select(t.coupons.c.revision).where(t.coupons.c.id == coupon.id)
        ).scalar()
        if current is not None and current >= coupon.revision:
            return False
        row = {f.name: getattr(coupon, f.name) for f in dataclasses.fields(Coupon)}
        row.pop("redeemed")
        if current is None:
            self.session.execute(insert(t.coupons).values(**row, redeemed=0))
        else:
            self.session.execute(update(t.coupons).where(t.coupons.c.id == coupon.id).values(**row))
        return True

    def add_codes(self, coupon_id: str, batch: int, codes: list[str]) -> int:
        existing = set(
            self.session.execute(
                select(t.coupon_codes.c.code).where(t.coupon_codes.c.code.in_(codes))
            ).scalars()
        )
        fresh = [c for c in dict.fromkeys(codes) if c not in existing]
        if fresh:
            self.session.execute(
                insert(t.coupon_codes),
                [{"code": c, "coupon_id": coupon_id, "batch": batch} for c in fresh],
            )
        return len(fresh)

    # -- limits -----------------------------------------------------------------------------

    def customer_uses(self, coupon_id: str, customer_id: str) -> int:
        uses = t.coupon_customer_uses
        return (
            self.session.execute(
                select(uses.c.uses).where(
                    uses.c.coupon_id == coupon_id, uses.c.customer_id == customer_id
                )
            ).scalar()
            or 0
        )

    def code_holder(self, code: str) -> str | None:
        return self.session.execute(
            select(t.coupon_codes.c.order_id).where(t.coupon_codes.c.code == code)
        ).scalar()

    def take_total(self, coupon: Coupon) -> bool:
        """Count one more redemption unless the total limit is reached (conditional UPDATE:
        concurrent orders re-check the limit against the committed count)."""
        c = t.coupons.c
        condition = [c.id == coupon.id]
        if coupon.max_redemptions is not None:
            condition.append(c.redeemed < coupon.max_redemptions)
        result = self.session.execute(
            update(t.coupons).where(*condition).values(redeemed=c.redeemed + 1)
        )
        return result.rowcount == 1

    def take_customer(self, coupon: Coupon, customer_id: str) -> bool:
        uses = t.coupon_customer_uses
        self._insert_ignore(uses, {"coupon_id": coupon.id, "customer_id": customer_id, "uses": 0})
        condition = [uses.c.coupon_id == coupon.id, uses.c.customer_id == customer_id]
        if coupon.max_per_customer is not None:
            condition.append(uses.c.uses < coupon.max_per_customer)
        result = self.session.execute(update(uses).where(*condition).values(uses=uses.c.uses + 1))
        return result.rowcount == 1

    def claim_code(self, code: str, order_id: str, at: datetime) -> bool:
        codes = t.coupon_codes
        result = self.session.execute(
            update(codes)
            .where(codes.c.code == code, codes.c.order_id.is_(None))
            .values(order_id=order_id, claimed_at=at)
        )
        return result.rowcount == 1

    def _insert_ignore(self, table: Table, values: dict) -> None:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(table).values(**values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
        self.session.execute(statement)

    def add_redemption(self, redemption: Redemption) -> None:
        self.session.execute(insert(t.coupon_redemptions), dataclasses.asdict(redemption))

    def release(self, order_id: str, at: datetime) -> Redemption | None:
        """Give the order's redemption back: counters down, unique code free again."""
        r = t.coupon_redemptions
        row = self.session.execute(
            select(r).where(r.c.order_id == order_id, r.c.status == "active")
        ).first()
        if row is None:
            return None
        redemption = Redemption(**{k: row._mapping[k] for k in row._mapping.keys()})  # noqa: SIM118
        self.session.execute(
            update(r).where(r.c.id == redemption.id).values(status="released", released_at=at)
        )
        c = t.coupons.c
        self.session.execute(
            update(t.coupons)
            .where(c.id == redemption.coupon_id, c.redeemed > 0)
            .values(redeemed=c.redeemed - 1)
        )
        uses = t.coupon_customer_uses
        self.session.execute(
            update(uses)
            .where(
                uses.c.coupon_id == redemption.coupon_id,
                uses.c.customer_id == redemption.customer_id,
                uses.c.uses > 0,
            )
            .values(uses=uses.c.uses - 1)
        )
        self.session.execute(
            update(t.coupon_codes)
            .where(t.coupon_codes.c.code == redemption.code, t.coupon_codes.c.order_id == order_id)
            .values(order_id=None, claimed_at=None)
        )
        return dataclasses.replace(redemption, status="released", released_at=at)


# -- contracts, targets, tasks, rates, numbers ------------------------------------------------


class ContractRepository(Repository):
    table, entity, label = t.contracts, Contract, "contract"

    def due_for_notice(self, today: date, limit: int = 500) -> list[str]:
        c = t.contracts.c
        return list(
            self.session.execute(
                select(c.id)
                .where(
                    c.status == "active",
                    c.renewal_notified_at.is_(None),
                    c.end_date >= today,
                )
                .order_by(c.end_date)
                .limit(limit)
            ).scalars()
        )

    def ended(self, today: date, limit: int = 500) -> list[str]:
        c = t.contracts.c
        return list(
            self.session.execute(
                select(c.id).where(c.status == "active", c.end_date < today).limit(limit)
            ).scalars()
        )


class TargetRepository(Repository):
    table, entity, label = t.targets, Target, "target"
    computed = {"subject_key": lambda tg: tg.owner_id if tg.subject == "rep" else tg.team}

    def add(self, obj: Target) -> None:
        try:
            with self.session.begin_nested():
                super().add(obj)
        except IntegrityError:
            raise StateConflict(
                f"a {obj.metric} target for this {obj.subject} and {obj.period} exists already; "
                "change it instead"
            ) from None


class TaskRepository(Repository):
    table, entity, label = t.tasks, Task, "task"

    def due(self, now: datetime, limit: int = 500) -> list[str]:
        c = t.tasks.c
        return list(
            self.session.execute(
                select(c.id)
                .where(c.status == "open", c.due_at <= now, c.reminded_at.is_(None))
                .order_by(c.due_at)
                .limit(limit)
            ).scalars()
        )


class FxRateRepository(Repository):
    table, entity, label = t.fx_rates, FxRate, "exchange rate"

    def add(self, obj: FxRate) -> None:
        try:
            with self.session.begin_nested():
                super().add(obj)
        except IntegrityError:
            raise StateConflict(
                f"a {obj.currency} rate effective from {obj.effective_from.isoformat()} exists "
                "already; record the correction with a later effective_from"
            ) from None

    def rate_at(self, currency: str, base: str, at: datetime) -> Decimal | None:
        if currency == base:
            return Decimal(1)
        c = t.fx_rates.c
        return self.session.execute(
            select(c.rate)
            .where(c.currency == currency, c.base_currency == base, c.effective_from <= at)
            .order_by(c.effective_from.desc())
            .limit(1)
        ).scalar()


class Numbers:
    """Human document numbers: ``SO-2026-000123``, unique and increasing.

    On PostgreSQL a sequence per prefix hands them out without locking (numbers keep counting
    across years; a rolled-back transaction leaves a gap). On SQLite, where writers take turns
    anyway, a counter row per prefix and year does, without gaps.
    """

    SEQUENCES = {"SO": "sales_number_so", "QT": "sales_number_qt", "CT": "sales_number_ct"}

    def __init__(self, session: Session) -> None:
        self.session = session

    def next(self, prefix: str, year: int) -> str:
        name = f"{prefix}-{year}"
        if self.session.get_bind().dialect.name == "postgresql":
            value = self.session.execute(select(func.nextval(self.SEQUENCES[prefix]))).scalar_one()
            return f"{name}-{value:06d}"
        seq = t.sequences
        for _ in range(3):
            value = self.session.execute(
                update(seq)
                .where(seq.c.name == name)
                .values(value=seq.c.value + 1)
                .returning(seq.c.value)
            ).scalar()
            if value is not None:
                return f"{name}-{value:06d}"
            try:
                with self.session.begin_nested():
                    self.session.execute(insert(seq).values(name=name, value=1))
                return f"{name}-{1:06d}"
            except IntegrityError:
                continue  # another transaction created the counter first: take the next value
        raise StateConflict("could not allocate a document number; retry")
