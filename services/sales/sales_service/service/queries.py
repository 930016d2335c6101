"""Read side: listings with filters and cursor pagination, summaries. Reads never commit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select

from sales_service.adapters import repositories as r
from sales_service.adapters import tables as t
from sales_service.service.access import reach_condition, target_condition
from servicekit.identity import Identity
from servicekit.pagination import Page, SortKey, keyset_page


def _like(value: str) -> str:
    escaped = value.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, value: str):
    return func.lower(column).like(_like(value), escape="\\")


def _sorts(table, names: dict[str, str]) -> dict[str, SortKey]:
    """``{"created_at": "created_at"}`` -> ascending and descending keyset sorts, id last."""
    out = {}
    for name, column in names.items():
        columns = (table.c[column], table.c.id)
        out[name] = SortKey(name, columns)
        out[f"-{name}"] = SortKey(f"-{name}", columns, descending=True)
    return out


def _page(session, repo, conditions: list, sort: SortKey, limit: int, cursor: str | None):
    conditions = [c for c in conditions if c is not None]
    statement = select(repo.table)
    if conditions:
        statement = statement.where(and_(*conditions))
    # Keyset pagination cannot step over NULLs: a sort on a nullable column lists rows having it.
    for column in sort.columns:
        if column.nullable:
            statement = statement.where(column.is_not(None))
    names = [c.name for c in sort.columns]
    page = keyset_page(
        session,
        statement,
        sort,
        limit=limit,
        cursor=cursor,
        row_key=lambda row: [row._mapping[n] for n in names],
        scalars=False,
    )
    page.items = [repo.from_row(row) for row in page.items]
    return page


def _equal(table, filters: dict[str, Any], names: tuple[str, ...]) -> list:
    out = []
    for name in names:
        value = filters.get(name)
        if value is not None:
            out.append(table.c[name] == (str(value) if not isinstance(value, bool) else value))
    return out


def _between(column, start, end) -> list:
    out = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column < end)
    return out


# -- catalogue ----------------------------------------------------------------------------------

PRODUCT_SORTS = _sorts(t.products, {"name": "name", "sku": "sku_key", "created_at": "created_at"})


def list_products(session, filters: dict, *, limit: int, cursor: str | None, sort: str) -> Page:
    c = t.products.c
    conditions = _equal(t.products, filters, ("category", "active", "currency"))
    if filters.get("q"):
        conditions.append(_contains(c.name, filters["q"]) | _contains(c.sku, filters["q"]))
    return _page(session, r.ProductRepository, conditions, PRODUCT_SORTS[sort], limit, cursor)


def product_categories(session) -> list[dict]:
    c = t.products.c
    rows = session.execute(
        select(c.category, func.count(), func.sum(case((c.active.is_(True), 1), else_=0)))
        .where(c.category.is_not(None))
        .group_by(c.category)
        .order_by(c.category)
    )
    return [{"category": cat, "products": n, "active_products": int(a or 0)} for cat, n, a in rows]


CHANNEL_SORTS = _sorts(t.channels, {"name": "name", "created_at": "created_at"})


def list_channels(session, filters: dict, *, limit: int, cursor: str | None, sort: str) -> Page:
    conditions = _equal(t.channels, filters, ("kind", "active", "region"))
    return _page(session, r.ChannelRepository, conditions, CHANNEL_SORTS[sort], limit, cursor)


PRICE_LIST_SORTS = _sorts(t.price_lists, {"name": "name", "created_at": "created_at"})


def list_price_lists(session, filters: dict, *, limit: int, cursor: str | None, sort: str):
    conditions = _equal(t.price_lists, filters, ("currency", "channel_id", "active"))
    if filters.get("product_id"):
        conditions.append(
            t.price_lists.c.id.in_(
                select(t.price_list_items.c.price_list_id).where(
                    t.price_list_items.c.product_id == str(filters["product_id"])
                )
            )
        )
    if filters.get("valid_on"):
        day = filters["valid_on"]
        c = t.price_lists.c
        conditions += [
            (c.valid_from.is_(None)) | (c.valid_from <= day),
            (c.valid_until.is_(None)) | (c.valid_until >= day),
        ]
    page = _page(session, r.PriceListRepository, conditions, PRICE_LIST_SORTS[sort], limit, cursor)
    repo = r.PriceListRepository(session)
    for item in page.items:
        repo._loaded(item)
    return page


# -- leads -------------------------------------------------------------------------------------

LEAD_SORTS = _sorts(t.leads, {"created_at": "created_at", "updated_at": "updated_at"})


def list_leads(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.leads.c
    conditions = [reach_condition(actor, "leads", c.owner_id, c.owner_team)]
    conditions += _equal(
        t.leads,
        filters,
        ("status", "source", "owner_id", "owner_team", "campaign_id", "customer_id", "region"),
    )
    if filters.get("unassigned"):
        conditions.append(c.owner_id.is_(None))
    if filters.get("q"):
        q = filters["q"]
        conditions.append(_contains(c.company, q) | _contains(c.contact_email, q))
    if filters.get("min_score") is not None:
        conditions.append(c.score >= filters["min_score"])
    conditions += _between(
        c.created_at, filters.get("created_after"), filters.get("created_before")
    )
    return _page(session, r.LeadRepository, conditions, LEAD_SORTS[sort], limit, cursor)


def list_rules(session) -> list:
    rows = session.execute(
        select(t.assignment_rules).order_by(
            t.assignment_rules.c.priority, t.assignment_rules.c.created_at
        )
    )
    return [r.AssignmentRuleRepository.from_row(row) for row in rows]


# -- pipelines and opportunities -------------------------------------------------------------------


def list_pipelines(session, active: bool | None) -> list:
    statement = select(t.pipelines).order_by(t.pipelines.c.is_default.desc(), t.pipelines.c.name)
    if active is not None:
        statement = statement.where(t.pipelines.c.active.is_(active))
    return [r.PipelineRepository.from_row(row) for row in session.execute(statement)]


OPPORTUNITY_SORTS = _sorts(
    t.opportunities,
    {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "expected_close_date": "expected_close_date",
        "amount": "base_amount",
    },
)


def list_opportunities(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.opportunities.c
    conditions = [reach_condition(actor, "opportunities", c.owner_id, c.owner_team)]
    conditions += _equal(
        t.opportunities,
        filters,
        (
            "customer_id",
            "status",
            "pipeline_id",
            "stage_id",
            "owner_id",
            "owner_team",
            "lead_id",
            "campaign_id",
            "forecast_category",
        ),
    )
    if filters.get("q"):
        conditions.append(_contains(c.name, filters["q"]))
    conditions += _between(
        c.expected_close_date, filters.get("close_after"), filters.get("close_before")
    )
    return _page(
        session, r.OpportunityRepository, conditions, OPPORTUNITY_SORTS[sort], limit, cursor
    )


def stage_history(session, opportunity_id: str) -> list[dict]:
    h = t.stage_history.c
    rows = session.execute(
        select(t.stage_history).where(h.opportunity_id == opportunity_id).order_by(h.at, h.id)
    )
    return [dict(row._mapping) for row in rows]


def pipeline_summary(session, actor: Identity, pipeline) -> dict:
    """Open deals per stage: count, amount and weighted amount in the base currency."""
    c = t.opportunities.c
    conditions = [c.pipeline_id == pipeline.id, c.status == "open"]
    reach = reach_condition(actor, "opportunities", c.owner_id, c.owner_team)
    if reach is not None:
        conditions.append(reach)
    rows = session.execute(
        select(c.stage_id, c.base_amount, c.probability, c.base_currency).where(and_(*conditions))
    )
    per_stage: dict[str, dict] = {
        s.id: {"stage_id": s.id, "name": s.name, "probability": s.probability,
               "forecast_category": s.forecast_category, "count": 0,
               "amount": Decimal(0), "weighted_amount": Decimal(0)}
        for s in pipeline.stages if s.is_open
    }  # fmt: skip
    from sales_service.domain.money import quantize

    base = None
    for stage_id, amount, probability, currency in rows:
        base = currency
        bucket = per_stage.get(stage_id)
        if bucket is None:
            continue
        bucket["count"] += 1
        bucket["amount"] += amount
        bucket["weighted_amount"] += amount * probability / 100
    for bucket in per_stage.values():
        bucket["weighted_amount"] = quantize(bucket["weighted_amount"], base or "EUR")
    stages = list(per_stage.values())
    return {
        "pipeline_id": pipeline.id,
        "name": pipeline.name,
        "stages": stages,
        "count": sum(b["count"] for b in stages),
        "amount": sum((b["amount"] for b in stages), Decimal(0)),
        "weighted_amount": sum((b["weighted_amount"] for b in stages), Decimal(0)),
    }


# -- quotes, orders, contracts -----------------------------------------------------------------

QUOTE_SORTS = _sorts(t.quotes, {"created_at": "created_at", "valid_until": "valid_until"})


def list_quotes(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.quotes.c
    conditions = [reach_condition(actor, "quotes", c.owner_id, c.owner_team)]
    conditions += _equal(
        t.quotes, filters, ("customer_id", "status", "opportunity_id", "owner_id", "owner_team")
    )
    if filters.get("q"):
        conditions.append(_contains(c.number, filters["q"]))
    return _page(session, r.QuoteRepository, conditions, QUOTE_SORTS[sort], limit, cursor)


ORDER_SORTS = _sorts(t.orders, {"placed_at": "placed_at", "total": "base_total"})


def list_orders(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.orders.c
    conditions = [reach_condition(actor, "orders", c.owner_id, c.owner_team)]
    conditions += _equal(
        t.orders,
        filters,
        (
            "customer_id",
            "status",
            "channel",
            "channel_id",
            "owner_id",
            "owner_team",
            "campaign_id",
            "coupon_id",
            "quote_id",
            "opportunity_id",
            "currency",
            "region",
        ),
    )
    if filters.get("coupon_code"):
        from sales_service.domain.coupons import normalise_code

        conditions.append(c.coupon_code == normalise_code(filters["coupon_code"]))
    if filters.get("q"):
        conditions.append(_contains(c.number, filters["q"]))
    conditions += _between(c.placed_at, filters.get("placed_after"), filters.get("placed_before"))
    return _page(session, r.OrderRepository, conditions, ORDER_SORTS[sort], limit, cursor)


CONTRACT_SORTS = _sorts(t.contracts, {"created_at": "created_at", "end_date": "end_date"})


def list_contracts(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.contracts.c
    conditions = [reach_condition(actor, "contracts", c.owner_id, c.owner_team)]
    conditions += _equal(
        t.contracts, filters, ("customer_id", "status", "owner_id", "owner_team", "opportunity_id")
    )
    conditions += _between(c.end_date, filters.get("ending_after"), filters.get("ending_before"))
    return _page(session, r.ContractRepository, conditions, CONTRACT_SORTS[sort], limit, cursor)


# -- targets, tasks, rates ------------------------------------------------------------------

TARGET_SORTS = _sorts(t.targets, {"period_start": "period_start", "created_at": "created_at"})


def list_targets(session, actor: Identity, filters: dict, *, limit, cursor, sort) -> Page:
    c = t.targets.c
    conditions = [target_condition(actor, t.targets)]
    conditions += _equal(
        t.targets, filters, ("subject", "owner_id", "team", "metric", "period_kind")
    )
    if filters.get("period"):
        conditions.append(c.period == filters["period"])
    return _page(session, r.TargetRepository, conditions, TARGET_SORTS[sort], limit, cursor)


def achieved(session, target) -> Decimal:
    start = datetime.combine(target.period_start, time(0), tzinfo=UTC)
    end_day = target.period_end
    end = datetime.combine(date.fromordinal(end_day.toordinal() + 1), time(0), tzinfo=UTC)
    if target.metric in ("revenue", "orders"):
        o = t.orders.c
        who = (
            o.owner_id == target.owner_id
            if target.subject == "rep"
            else o.owner_team == target.team
        )
        conditions = [who, o.paid_at >= start, o.paid_at < end, o.status != "cancelled"]
        if target.metric == "orders":
            return Decimal(session.execute(select(func.count()).where(*conditions)).scalar_one())
        value = session.execute(
            select(func.sum(o.base_total), func.sum(o.base_returned_amount)).where(*conditions)
        ).one()
        return (value[0] or Decimal(0)) - (value[1] or Decimal(0))
    p = t.opportunities.c
    who = p.owner_id == target.owner_id if target.subject == "rep" else p.owner_team == target.team
    conditions = [who, p.status == "won", p.closed_at >= start, p.closed_at < end]
    if target.metric == "won_deals":
        return Decimal(session.execute(select(func.count()).where(*conditions)).scalar_one())
    return session.execute(select(func.sum(p.base_amount)).where(*conditions)).scalar() or Decimal(
        0
    )


TASK_SORTS = _sorts(t.tasks, {"due_at": "due_at", "created_at": "created_at"})


def list_tasks(session, actor: Identity, filters: dict, *, limit, cursor, sort, now) -> Page:
    c = t.tasks.c
    conditions = [reach_condition(actor, "tasks", c.assignee_id, c.assignee_team)]
    conditions += _equal(
        t.tasks,
        filters,
        ("status", "kind", "priority", "assignee_id", "assignee_team", "related_type",
         "related_id", "customer_id"),
    )  # fmt: skip
    if filters.get("overdue"):
        conditions += [c.status == "open", c.due_at <= now]
    conditions += _between(c.due_at, filters.get("due_after"), filters.get("due_before"))
    return _page(session, r.TaskRepository, conditions, TASK_SORTS[sort], limit, cursor)


FX_SORTS = _sorts(t.fx_rates, {"effective_from": "effective_from"})


def list_fx_rates(session, filters: dict, *, limit, cursor, sort) -> Page:
    conditions = _equal(t.fx_rates, filters, ("currency",))
    return _page(session, r.FxRateRepository, conditions, FX_SORTS[sort], limit, cursor)
