"""Domain events rendered as contract events (libs/event_contracts/.../campaign)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from campaign_service.domain import events
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.money import Money
from servicekit.events import OutgoingEvent


def _money(value: Money | None) -> dict | None:
    return value.as_dict() if value is not None else None


def campaign_data(c: Campaign) -> dict:
    return {
        "campaign_id": c.id,
        "name": c.name,
        "description": c.description,
        "channel": c.channel,
        "objective": c.objective,
        "status": c.status,
        "budget": _money(c.budget),
        "spend": c.spend_money().as_dict(),
        "planned_start": c.planned_start,
        "planned_end": c.planned_end,
        "scheduled_at": c.scheduled_at,
        "launched_at": c.launched_at,
        "paused_at": c.paused_at,
        "completed_at": c.completed_at,
        "cancelled_at": c.cancelled_at,
        "owner_id": _uuid_or_none(c.owner_id),
        "owner_team": c.owner_team,
        "segment_ids": list(c.segment_ids),
        "exclude_segment_ids": list(c.exclude_segment_ids),
        "utm_campaign": c.utm_campaign,
        "coupon_id": c.coupon_id,
        "survey_id": c.survey_id,
        "variants": [{**v.as_dict(), "is_winner": v.id == c.winner_variant_id} for v in c.variants],
        "ab_test": c.ab_test.as_dict() if c.ab_test else None,
        "winner_variant_id": c.winner_variant_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "revision": c.version,
    }


def _message(ref: events.MessageRef) -> dict:
    return {
        "message_id": ref.message_id,
        "campaign_id": ref.campaign_id,
        "variant_id": ref.variant_id,
        "customer_id": ref.customer_id,
        "channel": "email",
        "purpose": ref.purpose,
    }


def _msg_event(event_type: str, ref: events.MessageRef, data: dict) -> OutgoingEvent:
    return OutgoingEvent(
        event_type,
        {**_message(ref), **data},
        aggregate_type="message",
        aggregate_id=ref.message_id,
    )


def _survey_data(s) -> dict:
    return {
        "survey_id": s.id,
        "name": s.name,
        "description": s.description,
        "status": s.status,
        "questions": [
            {k: v for k, v in q.as_dict().items() if k not in ("min_label", "max_label")}
            for q in s.questions
        ],
        "updated_at": s.updated_at,
        "revision": s.version,
    }


def _competitor_data(c) -> dict:
    return {
        "competitor_id": c.id,
        "name": c.name,
        "website": c.website,
        "description": c.description,
        "products": c.products,
        "strengths": list(c.strengths),
        "weaknesses": list(c.weaknesses),
        "notes": c.notes,
        "status": c.status,
        "updated_at": c.updated_at,
        "revision": c.version,
    }


def coupon_data(c) -> dict:
    return {
        "coupon_id": c.id,
        "campaign_id": c.campaign_id,
        "name": c.name,
        "mode": c.mode,
        "code": c.code,
        "discount_kind": c.discount_kind,
        "value": format(c.value, "f"),
        "currency": c.currency,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "max_redemptions": c.max_redemptions,
        "max_per_customer": c.max_per_customer,
        "min_order": _money(c.min_order),
        "active": c.active,
        "revision": c.version,
    }


def to_integration(event):
    if isinstance(event, events.CampaignChanged):
        c = event.campaign
        data = campaign_data(c)
        if event.verb == "updated":
            data["changed_fields"] = list(event.changed_fields)
        return OutgoingEvent(
            f"campaign.{event.verb}",
            data,
            aggregate_type="campaign",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    if isinstance(event, events.WinnerSelected):
        c = event.campaign
        return OutgoingEvent(
            "campaign.variant.winner_selected",
            {
                "campaign_id": c.id,
                "variant_id": event.variant_id,
                "metric": event.metric,
                "method": event.method,
                "scores": [
                    {
                        "variant_id": s["variant_id"],
                        "delivered": s["delivered"],
                        "value": format(s["value"], "f"),
                    }
                    for s in event.scores
                ],
                "selected_at": event.selected_at,
                "revision": c.version,
            },
            aggregate_type="campaign",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    if isinstance(event, events.AudienceResolved):
        return OutgoingEvent(
            "campaign.audience.resolved",
            {
                "campaign_id": event.campaign_id,
                "recipients": event.recipients,
                "held_for_winner": event.held_for_winner,
                "per_variant": [
                    {"variant_id": vid, "recipients": n} for vid, n in event.per_variant.items()
                ],
                "excluded": dict(event.excluded),
                "resolved_at": event.resolved_at,
            },
            aggregate_type="campaign",
            aggregate_id=event.campaign_id,
        )
    if isinstance(event, events.SendFinished):
        return OutgoingEvent(
            "campaign.send.finished",
            {"campaign_id": event.campaign_id, **event.totals, "finished_at": event.finished_at},
            aggregate_type="campaign",
            aggregate_id=event.campaign_id,
        )
    if isinstance(event, events.MessageSent):
        return _msg_event("campaign.message.sent", event.ref, {"sent_at": event.sent_at})
    if isinstance(event, events.MessageDelivered):
        return _msg_event(
            "campaign.message.delivered",
            event.ref,
            {
                "delivered_at": event.delivered_at,
                "attempts": event.attempts,
                "smtp_code": event.smtp_code,
            },
        )
    if isinstance(event, events.MessageBounced):
        return _msg_event(
            "campaign.message.bounced",
            event.ref,
            {
                "bounce_type": event.bounce_type,
                "smtp_code": event.smtp_code,
                "reason": event.reason,
                "attempts": event.attempts,
                "bounced_at": event.bounced_at,
            },
        )
    if isinstance(event, events.MessageOpened):
        return _msg_event(
            "campaign.message.opened",
            event.ref,
            {
                "opened_at": event.opened_at,
                "first": event.first,
                "machine": event.machine,
                "machine_reason": event.machine_reason,
            },
        )
    if isinstance(event, events.MessageClicked):
        return _msg_event(
            "campaign.message.clicked",
            event.ref,
            {
                "clicked_at": event.clicked_at,
                "link_id": event.link_id,
                "url": event.url,
                "first": event.first,
                "machine": event.machine,
                "machine_reason": event.machine_reason,
            },
        )
    if isinstance(event, events.RecipientUnsubscribed):
        return OutgoingEvent(
            "campaign.recipient.unsubscribed",
            {
                "customer_id": event.customer_id,
                "channel": event.channel,
                "campaign_id": event.campaign_id,
                "message_id": event.message_id,
                "method": event.method,
                "unsubscribed_at": event.unsubscribed_at,
            },
            aggregate_type="customer",
            aggregate_id=event.customer_id,
        )
    if isinstance(event, events.CostRecorded):
        cost = event.cost
        return OutgoingEvent(
            "campaign.cost.recorded",
            {
                "cost_id": cost.id,
                "campaign_id": cost.campaign_id,
                "category": cost.category,
                "description": cost.description,
                "amount": cost.amount.as_dict(),
                "fx_rate": _rate(cost.fx_rate),
                "base_amount": cost.base_amount.as_dict(),
                "incurred_on": cost.incurred_on.isoformat(),
                "spend": event.spend.as_dict(),
                "budget": _money(event.budget),
                "recorded_at": cost.created_at,
            },
            aggregate_type="campaign",
            aggregate_id=cost.campaign_id,
        )
    if isinstance(event, events.CostRemoved):
        cost = event.cost
        return OutgoingEvent(
            "campaign.cost.removed",
            {
                "cost_id": cost.id,
                "campaign_id": cost.campaign_id,
                "base_amount": cost.base_amount.as_dict(),
                "spend": event.spend.as_dict(),
                "removed_at": event.removed_at,
            },
            aggregate_type="campaign",
            aggregate_id=cost.campaign_id,
        )
    if isinstance(event, events.BudgetExceeded):
        return OutgoingEvent(
            "campaign.budget.exceeded",
            {
                "campaign_id": event.campaign_id,
                "budget": event.budget.as_dict(),
                "spend": event.spend.as_dict(),
                "exceeded_by": (event.spend - event.budget).as_dict(),
                "cost_id": event.cost_id,
                "exceeded_at": event.exceeded_at,
            },
            aggregate_type="campaign",
            aggregate_id=event.campaign_id,
        )
    if isinstance(event, events.TouchpointRecorded):
        tp = event.touchpoint
        return OutgoingEvent(
            "campaign.touchpoint.recorded",
            {
                "touchpoint_id": tp.id,
                "customer_id": tp.customer_id,
                "anonymous_id": tp.anonymous_id,
                "campaign_id": tp.campaign_id,
                "kind": tp.kind,
                "utm": {
                    "source": tp.source,
                    "medium": tp.medium,
                    "campaign": tp.utm_campaign,
                    "term": tp.term,
                    "content": tp.content,
                },
                "landing_url": tp.landing_url,
                "referrer": tp.referrer,
                "message_id": tp.message_id,
                "occurred_at": tp.occurred_at,
                "recorded_at": tp.recorded_at,
            },
            aggregate_type="touchpoint",
            aggregate_id=tp.id,
        )
    if isinstance(event, events.VisitorLinked):
        return OutgoingEvent(
            "campaign.visitor.linked",
            {
                "anonymous_id": event.anonymous_id,
                "customer_id": event.customer_id,
                "touchpoints": event.touchpoints,
                "linked_at": event.linked_at,
            },
            aggregate_type="customer",
            aggregate_id=event.customer_id,
        )
    if isinstance(event, events.AttributionRecorded):
        return OutgoingEvent(
            "campaign.attribution.recorded",
            {
                "order_id": event.order_id,
                "customer_id": event.customer_id,
                "status": event.status,
                "method": event.method,
                "revenue": event.revenue.as_dict(),
                "lookback_days": event.lookback_days,
                "attributions": [
                    {**row, "revenue": row["revenue"].as_dict()} for row in event.rows
                ],
                "placed_at": event.placed_at,
                "attributed_at": event.attributed_at,
                "revision": event.revision,
            },
            aggregate_type="order",
            aggregate_id=event.order_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.CouponChanged):
        c = event.coupon
        return OutgoingEvent(
            "campaign.coupon.issued" if event.created else "campaign.coupon.updated",
            coupon_data(c),
            aggregate_type="coupon",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    if isinstance(event, events.CouponCodesIssued):
        return OutgoingEvent(
            "campaign.coupon.codes_issued",
            {"coupon_id": event.coupon_id, "batch": event.batch, "codes": list(event.codes)},
            aggregate_type="coupon",
            aggregate_id=event.coupon_id,
        )
    if isinstance(event, events.SurveyPublished):
        s = event.survey
        return OutgoingEvent(
            "campaign.survey.published",
            _survey_data(s),
            aggregate_type="survey",
            aggregate_id=s.id,
            aggregate_version=s.version,
        )
    if isinstance(event, events.SurveyAnswered):
        r = event.response
        nps = next((a["number"] for a in r["answers"] if a["type"] == "nps"), None)
        return OutgoingEvent(
            "campaign.survey.answered",
            {
                "response_id": r["id"],
                "survey_id": r["survey_id"],
                "campaign_id": r["campaign_id"],
                "message_id": r["message_id"],
                "customer_id": r["customer_id"],
                "answers": r["answers"],
                "nps": nps,
                "answered_at": r["answered_at"],
            },
            aggregate_type="survey",
            aggregate_id=r["survey_id"],
        )
    if isinstance(event, events.CompetitorChanged):
        c = event.competitor
        return OutgoingEvent(
            "campaign.competitor.created" if event.created else "campaign.competitor.updated",
            _competitor_data(c),
            aggregate_type="competitor",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    raise TypeError(f"no contract for domain event {type(event).__name__}")


def _rate(value) -> str:
    """Rates travel with at most six decimal places (the contract's decimal format)."""
    text = format(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _uuid_or_none(value: str | None) -> str | None:
    if value and len(value) == 36 and value.count("-") == 4:
        return value
    return None
