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
from datetime import UTC, date, datetime, timedelta
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
                "unit_price": money(
                    (Decimal(str(line_total)) / Decimal(str(quantity))).quantize(Decimal("0.0001"))
                ),
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

    # -- a mixed workload ------------------------------------------------------------------------

    def workload(self, orders: int = 60, start: str = "2025-07-01") -> list[Envelope]:
        """Several months of every kind of event analytics reads, in time order.

        Customers (one merged, one erased), segments, orders (paid, cancelled, returned,
        shipped), leads through the funnel, opportunities through stages, targets, campaigns
        with costs, messages with engagement, attribution, tickets with SLA outcomes, surveys -
        plus every golden sample.
        """
        rng = self.rng
        base = at(start)
        out: list[Envelope] = [Envelope.from_dict(s) for s in SAMPLES.values()]
        customers = [self.uid() for _ in range(max(orders // 3, 4))]
        products = [(self.uid(), rng.choice(["Tea", "Cups", "Pots"])) for _ in range(6)]
        reps = [self.uid() for _ in range(3)]
        campaigns = [(self.uid(), self.uid(), self.uid()) for _ in range(2)]
        stages = [self.uid(), self.uid()]
        segment = self.uid()

        def moment(days: float) -> datetime:
            return base + timedelta(days=days)

        for i, cid in enumerate(customers):
            out.append(self.customer(cid, moment(i * 0.1), country=rng.choice(["DE", "FR", "CN"])))
        out.append(
            self.make(
                "customer.segment.created", moment(0), segment_id=segment, name="Tea", revision=1
            )
        )
        for cid in customers[:5]:
            out.append(
                self.make(
                    "customer.segment.member_added",
                    moment(1),
                    segment_id=segment,
                    customer_id=cid,
                    at=ts(moment(1)),
                )
            )
        out.append(
            self.make(
                "customer.segment.member_removed",
                moment(2),
                segment_id=segment,
                customer_id=customers[0],
                at=ts(moment(2)),
            )
        )
        for kid, v1, v2 in campaigns:
            out.append(
                self.campaign(
                    "campaign.launched",
                    kid,
                    moment(1),
                    revision=2,
                    name=f"Campaign {kid[:4]}",
                    variants=[(v1, "A"), (v2, "B")],
                    budget=500,
                )
            )
            for n in range(3):
                amount = money(rng.randint(50, 150))
                out.append(
                    self.make(
                        "campaign.cost.recorded",
                        moment(5 + 30 * n),
                        cost_id=self.uid(),
                        campaign_id=kid,
                        amount=amount,
                        base_amount=amount,
                        incurred_on=moment(5 + 30 * n).date().isoformat(),
                    )
                )
        for n in range(orders):
            self._order_story(out, n, rng, moment, customers, products, reps, campaigns)
        out.append(
            self.make(
                "customer.merged",
                moment(100),
                survivor_id=customers[1],
                merged_ids=[customers[2]],
                revision=5,
            )
        )
        out.append(self.make("customer.erased", moment(120), customer_id=customers[3], revision=6))
        for n in range(max(orders // 4, 4)):
            self._lead_story(out, n, rng, moment, reps, stages)
        for rep in reps:
            out.append(
                self.make(
                    "sales.target.set",
                    moment(0),
                    target_id=self.uid(),
                    subject="rep",
                    owner_id=rep,
                    period_kind="quarter",
                    period="2025-Q3",
                    period_start="2025-07-01",
                    period_end="2025-09-30",
                    metric="revenue",
                    value="2000.00",
                    revision=1,
                )
            )
        for n in range(max(orders // 2, 4)):
            self._message_story(out, n, rng, moment, customers, campaigns)
        for n in range(max(orders // 5, 4)):
            self._ticket_story(out, n, rng, moment, customers)
        for n in range(4):
            self._contract_story(out, n, moment, customers, reps)
        return out

    def _contract_story(self, out, n, moment, customers, reps) -> None:
        signed = moment(20 + 25 * n)
        common = {
            "contract_id": self.uid(),
            "customer_id": customers[n],
            "owner_id": reps[n % len(reps)],
            "base_value": money(1000 * (n + 1)),
            "value": money(1000 * (n + 1)),
            "start_date": signed.date().isoformat(),
            "end_date": (signed + timedelta(days=120)).date().isoformat(),
            "signed_at": ts(signed),
            "renewed_from_id": None,
        }
        out.append(
            self.make("sales.contract.signed", signed, status="active", revision=2, **common)
        )
        if n == 1:
            ended = signed + timedelta(days=30)
            out.append(
                self.make(
                    "sales.contract.terminated",
                    ended,
                    status="terminated",
                    revision=3,
                    terminated_at=ts(ended),
                    reason="closed the shop",
                    **common,
                )
            )

    def _order_story(self, out, n, rng, moment, customers, products, reps, campaigns) -> None:
        day = rng.uniform(0, 150)
        cid = rng.choice(customers)
        lines = [
            (p, cat, rng.randint(1, 3), f"{rng.randint(5, 90)}.{rng.randint(0, 99):02d}")
            for p, cat in rng.sample(products, rng.randint(1, 3))
        ]
        kid, v1, _ = rng.choice(campaigns)
        placed = self.placed(
            self.uid(),
            cid,
            moment(day),
            lines,
            channel=rng.choice(["online_store", "retail_store", "direct"]),
            owner_id=rng.choice(reps),
            campaign_id=kid if n % 3 == 0 else None,
        )
        out.append(placed)
        fate = rng.random()
        if fate >= 0.85:
            if fate < 0.93:
                out.append(self.cancelled(placed, moment(day + 1), revision=2))
            return
        out.append(self.paid(placed, moment(day + 0.1)))
        if n % 3 == 0:
            revenue = placed.data["base_total"]["amount"]
            out.append(
                self.make(
                    "campaign.attribution.recorded",
                    moment(day + 0.2),
                    order_id=placed.data["order_id"],
                    customer_id=cid,
                    revenue=money(revenue),
                    placed_at=placed.data["placed_at"],
                    revision=1,
                    attributions=[
                        {
                            "campaign_id": kid,
                            "model": model,
                            "share": "1",
                            "revenue": money(revenue),
                            "variant_id": v1,
                        }
                        for model in ("last_touch", "first_touch", "linear")
                    ],
                )
            )
        if fate < 0.1:
            product, _, _, amount = lines[0]
            out.append(self.returned(placed, moment(day + 5), [(product, Decimal(amount) / 2)]))
        elif fate < 0.6:
            out.append(
                self.make(
                    "sales.order.fulfilled",
                    moment(day + 1),
                    order_id=placed.data["order_id"],
                    customer_id=cid,
                    placed_at=placed.data["placed_at"],
                    fulfilled_at=ts(moment(day + 1)),
                    revision=3,
                )
            )

    def _lead_story(self, out, n, rng, moment, reps, stages) -> None:
        lead_id, created = self.uid(), moment(rng.uniform(0, 120))
        source = rng.choice(["web_form", "referral", "event"])
        out.append(
            self.lead(
                "sales.lead.created",
                lead_id,
                created,
                revision=1,
                created=created,
                captured=False,
                source=source,
            )
        )
        if n % 2:
            return
        qualified = created + timedelta(days=rng.uniform(1, 5))
        converted = qualified + timedelta(days=2)
        opp, rep = self.uid(), rng.choice(reps)
        close = (converted + timedelta(days=60)).date().isoformat()
        out.append(
            self.lead(
                "sales.lead.qualified",
                lead_id,
                qualified,
                revision=2,
                created=created,
                source=source,
                status="qualified",
                qualified_at=ts(qualified),
            )
        )
        out.append(
            self.lead(
                "sales.lead.converted",
                lead_id,
                converted,
                revision=3,
                created=created,
                source=source,
                status="converted",
                opportunity_id=opp,
                converted_at=ts(converted),
            )
        )
        common = {"created": converted, "owner_id": rep, "lead_id": lead_id}
        out.append(
            self.opportunity(
                "sales.opportunity.created",
                opp,
                converted,
                revision=1,
                stage_id=stages[0],
                stage_name="Prospect",
                amount=rng.randint(5, 50) * 100,
                expected_close=close,
                **common,
            )
        )
        moved = converted + timedelta(days=10)
        out.append(
            self.opportunity(
                "sales.opportunity.stage_changed",
                opp,
                moved,
                revision=2,
                stage_id=stages[1],
                stage_name="Proposal",
                probability=60,
                from_stage_id=stages[0],
                to_stage_id=stages[1],
                time_in_previous_stage_seconds=864000,
                expected_close=close,
                **common,
            )
        )
        if n % 4 == 0:
            out.append(
                self.opportunity(
                    "sales.opportunity.won",
                    opp,
                    moved + timedelta(days=5),
                    revision=3,
                    stage_id=stages[1],
                    stage_name="Won",
                    status="won",
                    probability=100,
                    from_stage_id=stages[1],
                    time_in_previous_stage_seconds=432000,
                    **common,
                )
            )

    def _message_story(self, out, n, rng, moment, customers, campaigns) -> None:
        kid, v1, v2 = rng.choice(campaigns)
        mid, sent = self.uid(), moment(rng.uniform(0, 140))
        common = {
            "campaign_id": kid,
            "variant_id": rng.choice([v1, v2]),
            "customer_id": rng.choice(customers),
        }
        out.append(self.message("campaign.message.sent", mid, sent, **common))
        if n % 7 == 0:
            out.append(
                self.message("campaign.message.bounced", mid, sent, bounce_type="hard", **common)
            )
            return
        out.append(self.message("campaign.message.delivered", mid, sent, **common))
        if n % 2 == 0:
            machine = n % 4 == 0
            out.append(
                self.message(
                    "campaign.message.opened",
                    mid,
                    sent + timedelta(hours=1),
                    first=True,
                    machine=machine,
                    machine_reason="apple_mpp" if machine else None,
                    **common,
                )
            )
        if n % 3 == 0:
            out.append(
                self.message(
                    "campaign.message.clicked",
                    mid,
                    sent + timedelta(hours=2),
                    first=True,
                    machine=False,
                    machine_reason=None,
                    link_id="l",
                    url="https://example.com",
                    **common,
                )
            )

    def _ticket_story(self, out, n, rng, moment, customers) -> None:
        tid, opened = self.uid(), moment(rng.uniform(0, 140))
        cid = rng.choice(customers)
        kw = {"created": opened, "customer_id": cid, "channel": rng.choice(["email", "phone"])}
        out.append(
            self.ticket(
                "support.ticket.opened", tid, opened, revision=1, opened_at=ts(opened), **kw
            )
        )
        first = rng.randint(600, 20000)
        responded = opened + timedelta(seconds=first)
        out.append(
            self.ticket(
                "support.ticket.first_responded",
                tid,
                responded,
                revision=2,
                responded_at=ts(responded),
                business_seconds=first,
                calendar_seconds=first,
                met=first < 14400,
                **kw,
            )
        )
        if n % 3 == 0:
            out.append(
                self.make(
                    "support.ticket.sla_breached",
                    opened + timedelta(hours=8),
                    ticket_id=tid,
                    customer_id=cid,
                    target="resolution",
                    cycle=1,
                    revision=3,
                )
            )
            return
        resolved = opened + timedelta(days=1)
        out.append(
            self.ticket(
                "support.ticket.resolved",
                tid,
                resolved,
                revision=3,
                resolved_at=ts(resolved),
                resolution_business_seconds=first * 3,
                resolution_calendar_seconds=86400,
                reopened_count=0,
                sla_met={
                    "first_response": first < 14400,
                    "next_response": None,
                    "resolution": n % 2 == 0,
                },
                **kw,
            )
        )
        out.append(
            self.make(
                "support.survey.answered",
                opened + timedelta(days=2),
                survey_id=self.uid(),
                ticket_id=tid,
                customer_id=cid,
                kind="csat",
                score=rng.randint(1, 5),
                scale_min=1,
                scale_max=5,
                satisfied=n % 2 == 0,
                nps_category=None,
                sent_at=ts(resolved),
                answered_at=ts(opened + timedelta(days=2)),
            )
        )
