"""Contract-valid envelopes for tests, built on the golden samples.

``Events.make(type, at, **data)`` starts from the golden sample of ``type``, replaces the given
fields, checks the result against the contract and wraps it in an envelope. The convenience
methods name what the tests vary (ids, amounts, times, revisions) and keep the rest sample-valid.
Ids are deterministic per seed so that failures can be reproduced.
"""

from __future__ import annotations

import copy
import random
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from event_contracts import golden_samples, validate_event
from servicekit.events import Envelope

SAMPLES = {c.event_type: s for c, s in golden_samples()}
BASE = "EUR"


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(amount, currency: str = BASE) -> dict:
    return {"amount": format(Decimal(str(amount)), "f"), "currency": currency}


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    parsed = date.fromisoformat(day)
    return datetime(parsed.year, parsed.month, parsed.day, hour, minute, tzinfo=UTC)


class Events:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def make(self, event_type: str, moment: datetime, **data) -> Envelope:
        body = copy.deepcopy(SAMPLES[event_type]["data"])
        body.update(data)
        validate_event(event_type, 1, body)
        return Envelope(
            event_id=self.uid(),
            event_type=event_type,
            version=1,
            occurred_at=ts(moment),
            producer=event_type.split(".")[0],
            correlation_id=self.uid(),
            causation_id=None,
            data=body,
            aggregate_version=data.get("revision"),
        )

    # -- customers ---------------------------------------------------------------------------

    def customer(
        self,
        customer_id,
        moment,
        *,
        revision=1,
        country="DE",
        name="Test Customer",
        event="customer.created",
        **extra,
    ) -> Envelope:
        data = {
            "customer_id": customer_id,
            "name": name,
            "country": country,
            "created_at": ts(moment),
            "updated_at": ts(moment),
            "revision": revision,
            "status": "active",
            **extra,
        }
        if event == "customer.updated":
            data.setdefault("changed_fields", ["country"])
        return self.make(event, moment, **data)

    # -- orders ------------------------------------------------------------------------------

    def placed(
        self,
        order_id,
        customer_id,
        moment,
        lines,
        *,
        channel="online_store",
        region="EU-West",
        owner_id=None,
        owner_team="west",
        campaign_id=None,
        coupon_id=None,
        base_total=None,
        revision=1,
    ) -> Envelope:
        """``lines``: (product_id, category, quantity, line_total) tuples; total = sum of lines
        unless ``base_total`` says otherwise (tax)."""
        body_lines = [
            {
                "product_id": product_id,
                "sku": f"SKU-{product_id[:4]}",
                "name": f"Product {product_id[:4]}",
                "category": category,
                "quantity": str(quantity),
                "unit_price": money(Decimal(str(line_total)) / Decimal(str(quantity))),
                "discount": money(0),
                "tax_rate": "0",
                "line_total": money(line_total),
            }
            for product_id, category, quantity, line_total in lines
        ]
        total = base_total if base_total is not None else sum(Decimal(str(x[3])) for x in lines)
        return self.make(
            "sales.order.placed",
            moment,
            order_id=order_id,
            number=f"SO-{order_id[:6]}",
            customer_id=customer_id,
            channel=channel,
            region=region,
            owner_id=owner_id,
            owner_team=owner_team,
            lines=body_lines,
            subtotal=money(total),
            discount_total=money(0),
            tax_total=money(0),
            total=money(total),
            base_total=money(total),
            fx_rate="1",
            campaign_id=campaign_id,
            coupon_id=coupon_id,
            coupon_code=None,
            placed_at=ts(moment),
            revision=revision,
        )

    def paid(self, placed: Envelope, moment, *, revision=2) -> Envelope:
        d = placed.data
        return self.make(
            "sales.order.paid",
            moment,
            order_id=d["order_id"],
            customer_id=d["customer_id"],
            total=d["total"],
            base_total=d["base_total"],
            channel=d["channel"],
            region=d["region"],
            owner_id=d["owner_id"],
            campaign_id=d["campaign_id"],
            coupon_id=d["coupon_id"],
            coupon_code=None,
            placed_at=d["placed_at"],
            paid_at=ts(moment),
            revision=revision,
        )

    def cancelled(self, placed: Envelope, moment, *, was_paid=False, revision=3) -> Envelope:
        d = placed.data
        return self.make(
            "sales.order.cancelled",
            moment,
            order_id=d["order_id"],
            customer_id=d["customer_id"],
            total=d["total"],
            base_total=d["base_total"],
            was_paid=was_paid,
            cancelled_at=ts(moment),
            revision=revision,
        )

    def returned(self, placed: Envelope, moment, lines, *, revision=4, return_id=None):
        """``lines``: (product_id, amount) tuples; refunds their sum."""
        d = placed.data
        amount = sum(Decimal(str(a)) for _, a in lines)
        return self.make(
            "sales.order.returned",
            moment,
            order_id=d["order_id"],
            customer_id=d["customer_id"],
            return_id=return_id or self.uid(),
            full=False,
            lines=[
                {"product_id": p, "sku": "X", "quantity": "1", "amount": money(a)} for p, a in lines
            ],
            amount=money(amount),
            base_amount=money(amount),
            returned_at=ts(moment),
            revision=revision,
        )

    # -- leads and opportunities -------------------------------------------------------------

    def lead(
        self,
        event_type,
        lead_id,
        moment,
        *,
        revision,
        created,
        status="new",
        source="web_form",
        owner_id=None,
        owner_team="west",
        **extra,
    ) -> Envelope:
        return self.make(
            event_type,
            moment,
            lead_id=lead_id,
            status=status,
            source=source,
            owner_id=owner_id,
            owner_team=owner_team,
            created_at=ts(created),
            updated_at=ts(moment),
            revision=revision,
            **extra,
        )

    def opportunity(
        self,
        event_type,
        opportunity_id,
        moment,
        *,
        revision,
        created,
        stage_id,
        stage_name,
        status="open",
        probability=20,
        amount=1000,
        lead_id=None,
        owner_id=None,
        owner_team="west",
        expected_close="2026-06-30",
        pipeline_id=None,
        customer_id=None,
        **extra,
    ) -> Envelope:
        weighted = Decimal(str(amount)) * probability / 100
        moments = {
            "sales.opportunity.won": "won_at",
            "sales.opportunity.lost": "lost_at",
            "sales.opportunity.stage_changed": "changed_at",
        }
        if event_type in moments:
            extra.setdefault(moments[event_type], ts(moment))
        return self.make(
            event_type,
            moment,
            opportunity_id=opportunity_id,
            lead_id=lead_id,
            customer_id=customer_id or SAMPLES[event_type]["data"]["customer_id"],
            pipeline_id=pipeline_id or SAMPLES[event_type]["data"]["pipeline_id"],
            stage_id=stage_id,
            stage_name=stage_name,
            status=status,
            probability=probability,
            forecast_category="closed" if status != "open" else "pipeline",
            amount=money(amount),
            base_amount=money(amount),
            weighted_base_amount=money(weighted),
            expected_close_date=expected_close,
            owner_id=owner_id,
            owner_team=owner_team,
            created_at=ts(created),
            updated_at=ts(moment),
            closed_at=ts(moment) if status != "open" else None,
            revision=revision,
            **extra,
        )

    # -- campaigns ---------------------------------------------------------------------------

    def campaign(
        self,
        event_type,
        campaign_id,
        moment,
        *,
        revision,
        name,
        variants=(),
        status="running",
        budget=None,
    ) -> Envelope:
        return self.make(
            event_type,
            moment,
            campaign_id=campaign_id,
            name=name,
            status=status,
            budget=money(budget) if budget is not None else None,
            variants=[
                {
                    "variant_id": vid,
                    "name": vname,
                    "split_percent": 100 // max(len(variants), 1),
                    "template_id": None,
                    "is_winner": False,
                }
                for vid, vname in variants
            ],
            winner_variant_id=None,
            created_at=ts(moment),
            updated_at=ts(moment),
            revision=revision,
        )

    def message(
        self, event_type, message_id, moment, *, campaign_id, variant_id, customer_id, **extra
    ) -> Envelope:
        field = {
            "campaign.message.sent": "sent_at",
            "campaign.message.delivered": "delivered_at",
            "campaign.message.bounced": "bounced_at",
            "campaign.message.opened": "opened_at",
            "campaign.message.clicked": "clicked_at",
        }[event_type]
        return self.make(
            event_type,
            moment,
            message_id=message_id,
            campaign_id=campaign_id,
            variant_id=variant_id,
            customer_id=customer_id,
            **{field: ts(moment)},
            **extra,
        )

    # -- support -----------------------------------------------------------------------------

    def ticket(
        self,
        event_type,
        ticket_id,
        moment,
        *,
        revision,
        created,
        channel="email",
        priority="normal",
        category="question",
        customer_id=None,
        **extra,
    ) -> Envelope:
        return self.make(
            event_type,
            moment,
            ticket_id=ticket_id,
            number=f"T-{ticket_id[:6]}",
            customer_id=customer_id or SAMPLES[event_type]["data"]["customer_id"],
            channel=channel,
            priority=priority,
            category=category,
            created_at=ts(created),
            revision=revision,
            **extra,
        )
