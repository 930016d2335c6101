"""Domain events rendered as contract events (libs/event_contracts/.../sales).

An event's data is the aggregate's state at commit time (``revision`` is its version) plus the
facts of the moment the domain recorded with it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sales_service.domain.catalogue import Channel, PriceList, Product
from sales_service.domain.contracts import Contract
from sales_service.domain.events import Happened
from sales_service.domain.fx import FxRate
from sales_service.domain.leads import AssignmentRule, Lead
from sales_service.domain.money import money, text
from sales_service.domain.opportunities import Opportunity
from sales_service.domain.orders import Order
from sales_service.domain.pipelines import Pipeline
from sales_service.domain.pricing import Line
from sales_service.domain.quotes import Quote
from sales_service.domain.targets import Target
from sales_service.domain.tasks import Task
from servicekit.events import OutgoingEvent


def lead_data(lead: Lead) -> dict:
    return {
        "lead_id": lead.id,
        "status": lead.status,
        "source": lead.source,
        "campaign_id": lead.campaign_id,
        "customer_id": lead.customer_id,
        "owner_id": lead.owner_id,
        "owner_team": lead.owner_team,
        "region": lead.region,
        "country": lead.country,
        "company": lead.company,
        "score": lead.score,
        "utm": lead.utm,
        "disqualify_reason": lead.disqualify_reason,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "revision": lead.version,
    }


def captured_data(lead: Lead) -> dict:
    contact = lead.contact
    return {
        "lead_id": lead.id,
        "source": lead.source,
        "campaign_id": lead.campaign_id,
        "owner_id": lead.owner_id,
        "owner_team": lead.owner_team,
        "contact": {
            k: getattr(contact, k)
            for k in (
                "name",
                "first_name",
                "last_name",
                "company",
                "email",
                "phone",
                "country",
                "region",
                "city",
            )
        },
        "captured_at": lead.created_at,
        "region": lead.region,
        "utm": lead.utm,
        "notes": lead.notes,
    }


def opportunity_data(deal: Opportunity) -> dict:
    base = deal.base_currency
    return {
        "opportunity_id": deal.id,
        "name": deal.name,
        "customer_id": deal.customer_id,
        "lead_id": deal.lead_id,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "stage_name": deal.stage_name,
        "status": deal.status,
        "probability": deal.probability,
        "forecast_category": deal.forecast_category,
        "amount": money(deal.amount, deal.currency),
        "base_amount": money(deal.base_amount, base),
        "fx_rate": text(deal.fx_rate),
        "weighted_base_amount": money(deal.weighted_base_amount, base),
        "expected_close_date": deal.expected_close_date,
        "owner_id": deal.owner_id,
        "owner_team": deal.owner_team,
        "region": deal.region,
        "campaign_id": deal.campaign_id,
        "source": deal.source,
        "competitors": [
            {"name": c.name, "competitor_id": c.competitor_id} for c in deal.competitors
        ],
        "next_step": deal.next_step,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
        "closed_at": deal.closed_at,
        "revision": deal.version,
    }


def line_data(line: Line, currency: str) -> dict:
    return {
        "line_id": line.line_id,
        "product_id": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "category": line.category,
        "quantity": text(line.quantity),
        "unit": line.unit,
        "unit_price": money(line.unit_price, currency),
        "discount": money(line.discount, currency),
        "tax_rate": text(line.tax_rate),
        "tax": money(line.tax, currency),
        "line_total": money(line.line_total, currency),
        "price_source": line.price_source,
    }


def _totals(doc: Quote | Order) -> dict:
    cur = doc.currency
    return {
        "currency": cur,
        "lines": [line_data(line, cur) for line in doc.lines],
        "subtotal": money(doc.subtotal, cur),
        "discount_total": money(doc.discount_total, cur),
        "tax_total": money(doc.tax_total, cur),
        "total": money(doc.total, cur),
        "base_total": money(doc.base_total, doc.base_currency),
        "fx_rate": text(doc.fx_rate),
    }


def quote_data(quote: Quote) -> dict:
    return {
        "quote_id": quote.id,
        "number": quote.number,
        "customer_id": quote.customer_id,
        "opportunity_id": quote.opportunity_id,
        "price_list_id": quote.price_list_id,
        "channel": quote.channel,
        "channel_id": quote.channel_id,
        "owner_id": quote.owner_id,
        "owner_team": quote.owner_team,
        "region": quote.region,
        "status": quote.status,
        **_totals(quote),
        "valid_until": quote.valid_until,
        "created_at": quote.created_at,
        "updated_at": quote.updated_at,
        "revision": quote.version,
    }


def order_common(order: Order) -> dict:
    return {
        "order_id": order.id,
        "number": order.number,
        "customer_id": order.customer_id,
        "channel": order.channel,
        "channel_id": order.channel_id,
        "region": order.region,
        "owner_id": order.owner_id,
        "owner_team": order.owner_team,
        "total": money(order.total, order.currency),
        "base_total": money(order.base_total, order.base_currency),
        "fx_rate": text(order.fx_rate),
        "campaign_id": order.campaign_id,
        "coupon_id": order.coupon_id,
        "placed_at": order.placed_at,
        "paid_at": order.paid_at,
        "revision": order.version,
    }


def order_placed(order: Order, _details: dict) -> dict:
    return {
        **order_common(order),
        **_totals(order),
        "coupon_code": order.coupon_code,
        "utm": order.utm,
        "quote_id": order.quote_id,
        "opportunity_id": order.opportunity_id,
        "price_list_id": order.price_list_id,
        "customer_tier": order.customer_tier,
        "status": order.status,
    }


def order_paid(order: Order, _details: dict) -> dict:
    return {
        **order_common(order),
        "coupon_code": order.coupon_code,
        "payment_reference": order.payment_reference,
    }


def order_fulfilled(order: Order, _details: dict) -> dict:
    return {
        **order_common(order),
        "fulfilled_at": order.fulfilled_at,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
    }


def order_delivered(order: Order, _details: dict) -> dict:
    return {
        **order_common(order),
        "fulfilled_at": order.fulfilled_at,
        "delivered_at": order.delivered_at,
    }


def order_cancelled(order: Order, details: dict) -> dict:
    return {
        **order_common(order),
        "was_paid": order.was_paid,
        "reason": order.cancel_reason,
        "cancelled_at": order.cancelled_at,
        "previous_status": details["previous_status"],
    }


def order_returned(order: Order, details: dict) -> dict:
    item = details["item"]
    cur, base = order.currency, order.base_currency
    return {
        **order_common(order),
        "return_id": item.id,
        "full": item.full,
        "lines": [
            {
                "line_id": line.line_id,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "category": line.category,
                "quantity": text(line.quantity),
                "amount": money(line.amount, cur),
                "base_amount": money(line.base_amount, base),
            }
            for line in item.lines
        ],
        "amount": money(item.amount, cur),
        "base_amount": money(item.base_amount, base),
        "returned_total": money(order.returned_amount, cur),
        "reason": item.reason,
        "ticket_id": item.ticket_id,
        "return_request_id": item.return_request_id,
        "returned_at": item.returned_at,
    }


def redemption_data(order: Order, details: dict) -> dict:
    r = details["redemption"]
    data = {
        "redemption_id": r.id,
        "coupon_id": r.coupon_id,
        "campaign_id": r.campaign_id,
        "code": r.code,
        "order_id": r.order_id,
        "order_number": r.order_number,
        "customer_id": r.customer_id,
        "discount": money(r.discount, r.currency),
        "base_discount": money(r.base_discount, r.base_currency),
        "redeemed_at": r.redeemed_at,
    }
    if r.released_at is not None:
        data.update(released_at=r.released_at, reason=details.get("reason") or "released")
    return data


def contract_data(c: Contract) -> dict:
    return {
        "contract_id": c.id,
        "number": c.number,
        "customer_id": c.customer_id,
        "opportunity_id": c.opportunity_id,
        "order_id": c.order_id,
        "title": c.title,
        "status": c.status,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "value": money(c.value, c.currency),
        "base_value": money(c.base_value, c.base_currency),
        "fx_rate": text(c.fx_rate),
        "auto_renew": c.auto_renew,
        "renewal_notice_days": c.renewal_notice_days,
        "owner_id": c.owner_id,
        "owner_team": c.owner_team,
        "region": c.region,
        "signed_at": c.signed_at,
        "renewed_from_id": c.renewed_from_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "revision": c.version,
    }


def target_data(tg: Target) -> dict:
    return {
        "target_id": tg.id,
        "subject": tg.subject,
        "owner_id": tg.owner_id,
        "team": tg.team,
        "period_kind": tg.period_kind,
        "period": tg.period,
        "period_start": tg.period_start,
        "period_end": tg.period_end,
        "metric": tg.metric,
        "value": money(tg.value, tg.currency)["amount"] if tg.currency else text(tg.value),
        "currency": tg.currency,
        "set_by": tg.set_by,
        "revision": tg.version,
    }


def task_data(task: Task) -> dict:
    return {
        "task_id": task.id,
        "kind": task.kind,
        "subject": task.subject,
        "status": task.status,
        "priority": task.priority,
        "due_at": task.due_at,
        "assignee_id": task.assignee_id,
        "assignee_team": task.assignee_team,
        "related_type": task.related_type,
        "related_id": task.related_id,
        "customer_id": task.customer_id,
        "created_by": task.created_by,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
        "outcome": task.outcome,
        "revision": task.version,
    }


def product_data(p: Product) -> dict:
    return {
        "product_id": p.id,
        "sku": p.sku,
        "name": p.name,
        "category": p.category,
        "unit": p.unit,
        "list_price": money(p.list_price, p.currency),
        "tax_rate": text(p.tax_rate),
        "active": p.active,
        "description": p.description,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "revision": p.version,
    }


def channel_data(ch: Channel) -> dict:
    return {
        "channel_id": ch.id,
        "kind": ch.kind,
        "name": ch.name,
        "code": ch.code,
        "region": ch.region,
        "partner_name": ch.partner_name,
        "partner_customer_id": ch.partner_customer_id,
        "commission_rate": text(ch.commission_rate) if ch.commission_rate is not None else None,
        "active": ch.active,
        "created_at": ch.created_at,
        "updated_at": ch.updated_at,
        "revision": ch.version,
    }


def price_list_data(pl: PriceList) -> dict:
    return {
        "price_list_id": pl.id,
        "name": pl.name,
        "currency": pl.currency,
        "channel_id": pl.channel_id,
        "customer_tier": pl.customer_tier,
        "valid_from": pl.valid_from,
        "valid_until": pl.valid_until,
        "active": pl.active,
        "items": [
            {
                "product_id": i.product_id,
                "unit_price": money(i.unit_price, pl.currency),
                "min_quantity": text(i.min_quantity),
            }
            for i in pl.items
        ],
        "created_at": pl.created_at,
        "updated_at": pl.updated_at,
        "revision": pl.version,
    }


def pipeline_data(p: Pipeline) -> dict:
    return {
        "pipeline_id": p.id,
        "name": p.name,
        "is_default": p.is_default,
        "active": p.active,
        "stages": [
            {
                "stage_id": s.id,
                "name": s.name,
                "position": s.position,
                "probability": s.probability,
                "forecast_category": s.forecast_category,
                "is_won": s.is_won,
                "is_lost": s.is_lost,
            }
            for s in p.stages
        ],
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "revision": p.version,
    }


def fx_data(rate: FxRate) -> dict:
    return {
        "fx_rate_id": rate.id,
        "currency": rate.currency,
        "base_currency": rate.base_currency,
        "rate": text(rate.rate),
        "effective_from": rate.effective_from,
        "set_by": rate.set_by,
        "created_at": rate.created_at,
    }


def rule_data(rule: AssignmentRule) -> dict:
    return {
        "rule_id": rule.id,
        "name": rule.name,
        "strategy": rule.strategy,
        "priority": rule.priority,
        "active": rule.active,
        "team": rule.team,
        "sources": list(rule.sources),
        "reps": [{"user_id": r.user_id, "team": r.team} for r in rule.reps],
        "region_map": [
            {"region": r.region, "user_id": r.user_id, "team": r.team} for r in rule.region_map
        ],
        "revision": rule.version,
    }


def _plain(render: Callable[[Any], dict]) -> Callable[[Any, dict], dict]:
    """A renderer of the aggregate's state plus the details recorded with the event."""

    def build(subject: Any, details: dict) -> dict:
        extra = {}
        for key, value in details.items():
            if isinstance(value, dict) and set(value) == {"amount", "currency"}:
                value = money(Decimal(value["amount"]), value["currency"])
            extra[key] = value
        return {**render(subject), **extra}

    return build


# event name -> (renderer, aggregate type, id attribute)
RENDERERS: dict[str, tuple[Callable[[Any, dict], dict], str]] = {
    **{
        f"lead.{verb}": (_plain(lead_data), "lead")
        for verb in (
            "created",
            "assigned",
            "updated",
            "linked",
            "qualified",
            "converted",
            "disqualified",
        )
    },
    "lead.captured": (lambda lead, _d: captured_data(lead), "lead"),
    **{
        f"opportunity.{verb}": (_plain(opportunity_data), "opportunity")
        for verb in ("created", "updated", "stage_changed", "won", "lost")
    },
    **{
        f"quote.{verb}": (_plain(quote_data), "quote")
        for verb in ("created", "updated", "sent", "accepted", "rejected", "expired")
    },
    "order.placed": (order_placed, "order"),
    "order.paid": (order_paid, "order"),
    "order.fulfilled": (order_fulfilled, "order"),
    "order.delivered": (order_delivered, "order"),
    "order.cancelled": (order_cancelled, "order"),
    "order.returned": (order_returned, "order"),
    "coupon.redeemed": (redemption_data, "coupon"),
    "coupon.released": (redemption_data, "coupon"),
    **{
        f"contract.{verb}": (_plain(contract_data), "contract")
        for verb in (
            "created",
            "updated",
            "signed",
            "renewal_due",
            "renewed",
            "expired",
            "terminated",
        )
    },
    "target.set": (_plain(target_data), "target"),
    "target.removed": (
        lambda tg, d: {
            "target_id": tg.id,
            "removed_at": d["removed_at"],
            "revision": d["revision"],
        },
        "target",
    ),
    **{
        f"task.{verb}": (_plain(task_data), "task")
        for verb in ("created", "updated", "due", "completed", "cancelled")
    },
    "product.created": (_plain(product_data), "product"),
    "product.updated": (_plain(product_data), "product"),
    "channel.created": (_plain(channel_data), "channel"),
    "channel.updated": (_plain(channel_data), "channel"),
    "price_list.created": (_plain(price_list_data), "price_list"),
    "price_list.updated": (_plain(price_list_data), "price_list"),
    "pipeline.created": (_plain(pipeline_data), "pipeline"),
    "pipeline.updated": (_plain(pipeline_data), "pipeline"),
    "fx_rate.set": (_plain(fx_data), "fx_rate"),
    "assignment_rule.created": (_plain(rule_data), "assignment_rule"),
    "assignment_rule.updated": (_plain(rule_data), "assignment_rule"),
    "assignment_rule.deleted": (
        lambda rule, d: {
            "rule_id": rule.id,
            "deleted_at": d["deleted_at"],
            "revision": d["revision"],
        },
        "assignment_rule",
    ),
}


def to_integration(event: Any) -> OutgoingEvent:
    if not isinstance(event, Happened):
        raise TypeError(f"no contract for domain event {type(event).__name__}")
    try:
        render, aggregate = RENDERERS[event.name]
    except KeyError:
        raise TypeError(f"no contract for domain event {event.name}") from None
    data = render(event.subject, event.details)
    if aggregate == "coupon":
        return OutgoingEvent(
            f"sales.{event.name}", data, aggregate_type="coupon", aggregate_id=data["coupon_id"]
        )
    revision = data.get("revision")
    return OutgoingEvent(
        f"sales.{event.name}",
        data,
        aggregate_type=aggregate,
        aggregate_id=event.subject.id,
        aggregate_version=revision if isinstance(revision, int) else None,
    )
