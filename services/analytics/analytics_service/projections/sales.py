"""Orders: one fact row per order and per line, the daily revenue rollup, product names, and the
purchase histories of customers (see domain.orders for what each order contributes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import LockPlan, LockSpace, Tx
from analytics_service.domain import orders as o
from analytics_service.domain.periods import month_start, quarter_start, week_start
from analytics_service.projections import customer_value
from analytics_service.projections.catalog import PRODUCTS
from analytics_service.projections.framework import Event, Projection, group_by
from analytics_service.projections.rollups import RollupDelta

ORDER_EVENTS = (
    "sales.order.placed",
    "sales.order.paid",
    "sales.order.cancelled",
    "sales.order.returned",
    "sales.order.fulfilled",
    "sales.order.delivered",
)
ROLLUP_KEYS = ("day", "dim", "key")
ORDERS = LockSpace("order")
_STORED = "sales.stored_orders"


def state_from_row(row) -> o.OrderState:
    m = row._mapping
    return o.OrderState(
        order_id=m["order_id"],
        number=m["number"],
        customer_id=m["customer_id"],
        channel=m["channel"],
        channel_id=m["channel_id"],
        region=m["region"],
        owner_id=m["owner_id"],
        owner_team=m["owner_team"],
        campaign_id=m["campaign_id"],
        coupon_id=m["coupon_id"],
        coupon_code=m["coupon_code"],
        utm_source=m["utm_source"],
        utm_medium=m["utm_medium"],
        utm_campaign=m["utm_campaign"],
        opportunity_id=m["opportunity_id"],
        quote_id=m["quote_id"],
        currency=m["currency"],
        total=m["total"],
        base_total=m["base_total"],
        placed_at=m["placed_at"],
        paid_at=m["paid_at"],
        cancelled_at=m["cancelled_at"],
        cancel_reason=m["cancel_reason"],
        was_paid=m["was_paid"],
        fulfilled_at=m["fulfilled_at"],
        delivered_at=m["delivered_at"],
        lines=list(m["lines"]),
        returns=dict(m["returns"]),
        header_rev=m["header_rev"],
        lines_rev=m["lines_rev"],
        paid_rev=m["paid_rev"],
        cancel_rev=m["cancel_rev"],
        fulfil_rev=m["fulfil_rev"],
    )


def _measure_columns(measures: o.Measures) -> dict:
    return {f"m_{name}": value for name, value in zip(_M_COLUMNS, measures, strict=True)}


_M_COLUMNS = ("orders", "cancelled", "paid", "units", "booked", "gross", "returns", "net")


def order_row(state: o.OrderState) -> dict:
    day = state.placed_day
    return {
        "order_id": state.order_id,
        "number": state.number,
        "customer_id": state.customer_id,
        "channel": state.channel,
        "channel_id": state.channel_id,
        "region": state.region,
        "owner_id": state.owner_id,
        "owner_team": state.owner_team,
        "campaign_id": state.campaign_id,
        "coupon_id": state.coupon_id,
        "coupon_code": state.coupon_code,
        "utm_source": state.utm_source,
        "utm_medium": state.utm_medium,
        "utm_campaign": state.utm_campaign,
        "opportunity_id": state.opportunity_id,
        "quote_id": state.quote_id,
        "currency": state.currency,
        "total": state.total,
        "base_total": state.base_total,
        "placed_at": state.placed_at,
        "placed_day": day,
        "placed_week": week_start(day) if day else None,
        "placed_month": month_start(day) if day else None,
        "paid_at": state.paid_at,
        "cancelled_at": state.cancelled_at,
        "cancel_reason": state.cancel_reason,
        "was_paid": state.was_paid,
        "fulfilled_at": state.fulfilled_at,
        "delivered_at": state.delivered_at,
        "status": state.status,
        "lines": state.lines,
        "returns": state.returns,
        "returned_base": state.returned_base,
        "header_rev": state.header_rev,
        "lines_rev": state.lines_rev,
        "paid_rev": state.paid_rev,
        "cancel_rev": state.cancel_rev,
        "fulfil_rev": state.fulfil_rev,
        **_measure_columns(state.measures()),
    }


def line_rows(state: o.OrderState) -> list[dict]:
    day = state.placed_day
    if day is None:
        return []
    week, month = week_start(day), month_start(day)
    return [
        {
            "order_id": state.order_id,
            "line_no": fact.line_no,
            "product_id": fact.product_id,
            "sku": fact.sku,
            "category": fact.category,
            "quantity": fact.quantity,
            "base_amount": fact.base_amount,
            "returned": fact.returned,
            "placed_day": day,
            "placed_week": week,
            "placed_month": month,
        }
        for fact in state.line_facts()
    ]


def by_month(contributions: dict) -> dict:
    """Daily contributions re-keyed by month (one order's fall on a single day)."""
    return {(month_start(day), dim, key): m for (day, dim, key), m in contributions.items()}


class SalesProjection(Projection):
    name = "sales"
    handles = dict.fromkeys(ORDER_EVENTS, (1,))
    tables = (
        t.orders,
        t.order_lines,
        t.revenue_daily,
        t.revenue_monthly,
        t.products,
        t.customer_sales,
        t.cohort_cells,
    )

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        plan.add(customer_value.MERGE_GATE, [customer_value.GATE_KEY], shared=True)
        plan.add(ORDERS, {e.data["order_id"] for e in events})

    def later_locks(self, plan: LockPlan, tx: Tx, events: Sequence[Event]) -> None:
        """The products and customers the orders name, in the events or in their stored rows
        (which the order locks keep as read here, so apply reuses them)."""
        order_ids = {e.data["order_id"] for e in events}
        stored = tx.memo[_STORED] = tx.fetch(t.orders, "order_id", order_ids)
        products: set[str] = set()
        customers: set[str] = set()
        for row in stored.values():
            products.update(line["product_id"] for line in row.lines)
            customers.add(row.customer_id)
        for event in events:
            products.update(line["product_id"] for line in event.data.get("lines") or ())
            customers.add(event.data.get("customer_id"))
        plan.add(PRODUCTS, products)
        customer_value.plan_histories(plan, tx, customers)

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        by_order = group_by(events, lambda e: e.data["order_id"])
        tx.lock(ORDERS, by_order)
        stored = tx.memo.pop(_STORED, None)
        if stored is None:
            stored = tx.fetch(t.orders, "order_id", by_order)
        rollup = RollupDelta(t.revenue_daily, ROLLUP_KEYS, o.MEASURES, counts=(0, 1, 2))
        monthly = RollupDelta(
            t.revenue_monthly,
            ("month", "dim", "key"),
            o.MEASURES,
            counts=(0, 1, 2),
            calendar_of=lambda key: {"quarter": quarter_start(key[0])},
        )
        changed: list[o.OrderState] = []
        relined: list[o.OrderState] = []
        # (raw customer id, day, purchases, net, sign) before resolution of merges
        customer_changes: list[tuple[str, object, int, Decimal]] = []
        for order_id, order_events in by_order.items():
            row = stored.get(order_id)
            state = state_from_row(row) if row is not None else o.OrderState(order_id)
            before = state.contributions()
            before_customer = (state.customer_id, state.customer_contribution())
            before_lines = state.line_signature()
            touched = False
            for event in order_events:
                touched |= state.apply(event.event_type, event.data)
            if not touched:
                continue
            changed.append(state)
            if state.line_signature() != before_lines:
                relined.append(state)
            after_contributions = state.contributions()
            rollup.change(before, after_contributions)
            monthly.change(by_month(before), by_month(after_contributions))
            customer, contribution = before_customer
            if contribution is not None and customer:
                day, purchases, net = contribution
                customer_changes.append((customer, day, -purchases, -net))
            after = state.customer_contribution()
            if after is not None and state.customer_id:
                day, purchases, net = after
                customer_changes.append((state.customer_id, day, purchases, net))
        if not changed:
            return
        tx.upsert(t.orders, [order_row(s) for s in changed], ("order_id",))
        tx.delete_in(t.order_lines, "order_id", [s.order_id for s in relined if s.lines_rev])
        tx.insert(t.order_lines, [row for s in relined for row in line_rows(s)])
        rollup.write(tx)
        monthly.write(tx)
        self._products(tx, [s for s in relined if s.lines])
        raw_customers = {c[0] for c in customer_changes}
        # The shared merge gate keeps these resolutions valid until commit.
        resolved = customer_value.resolve(tx, raw_customers)
        deltas: dict[str, list] = defaultdict(list)
        for customer, day, purchases, net in customer_changes:
            deltas[resolved[customer]].append((day, purchases, net))
        customer_value.apply_deltas(tx, deltas)

    @staticmethod
    def _products(tx: Tx, states: list[o.OrderState]) -> None:
        """Product names and categories as the latest order line shows them."""
        latest: dict[str, tuple[str, dict]] = {}
        for state in states:
            if state.placed_at is None:
                continue
            seen = f"{state.placed_at:%Y-%m-%dT%H:%M:%S.%f}|{state.order_id}"
            for line in state.lines:
                known = latest.get(line["product_id"])
                if known is None or known[0] < seen:
                    latest[line["product_id"]] = (seen, line)
        if not latest:
            return
        tx.lock(PRODUCTS, latest)
        stored = tx.fetch(t.products, "product_id", latest)
        rows = []
        for product_id, (seen, line) in latest.items():
            row = stored.get(product_id)
            if row is not None and (row.catalog_rev or (row.seen_key or "") >= seen):
                continue
            rows.append(
                {
                    "product_id": product_id,
                    "sku": line.get("sku"),
                    "name": line.get("name"),
                    "category": line.get("category"),
                    "catalog_rev": 0,
                    "seen_key": seen,
                }
            )
        tx.upsert(t.products, rows, ("product_id",))
