"""A deterministic stream of contract-valid events for the analytics bench: two years of a
business with N orders, its customers, products, reps and targets, leads and opportunities,
campaigns with costs, messages and attribution, support tickets and surveys.

Events come day by day in time order, follow-ups (payment, returns, resolution...) on the day
they happen, so a batch mixes new facts with changes to older ones as a live stream does. Beside
the events, the generator writes the final state as raw rows (CSV) for DuckDB to answer the same
questions from.
"""

from __future__ import annotations

import csv
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from event_contracts import validate_event
from servicekit.events import Envelope

CHANNELS = ("online_store", "retail_store", "direct", "distributor", "partner")
CHANNEL_WEIGHTS = (45, 25, 15, 10, 5)
REGIONS = ("CN-East", "CN-North", "CN-South", "EU-West", "EU-North", "US-West", "US-East", "JP")
COUNTRIES = ("CN", "CN", "CN", "DE", "SE", "US", "US", "JP")
CATEGORIES = ("Tea", "Coffee", "Cups", "Pots", "Snacks", "Gifts", "Kits", "Accessories")
SOURCES = ("web_form", "referral", "event", "import", "partner")
TEAMS = ("east", "north", "south", "west", "online", "key_accounts")
TICKET_CHANNELS = ("email", "phone", "chat", "web")
PRIORITIES = ("low", "normal", "normal", "high", "urgent")


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(amount: Decimal) -> dict:
    return {"amount": format(amount, "f"), "currency": "EUR"}


class Generator:
    def __init__(self, orders: int, *, seed: int = 7, end: date | None = None):
        self.orders = orders
        self.rng = random.Random(seed)
        self.end = end or (date.today().replace(day=1) - timedelta(days=1))
        self.days = 730
        self.start = self.end - timedelta(days=self.days - 1)
        self.n_customers = max(orders // 5, 50)
        self.n_products = 300 if orders >= 10_000 else 40
        self.n_campaigns = max(min(orders // 12_500, 96), 6)
        self.n_leads = max(orders // 25, 40)
        self.n_tickets = max(orders // 20, 40)
        self.n_messages = max(orders // 10, 100)
        self.reps = [self.uid() for _ in range(40)]
        self.rep_team = {r: TEAMS[i % len(TEAMS)] for i, r in enumerate(self.reps)}
        self.products = [
            (
                self.uid(),
                f"SKU-{i:05d}",
                CATEGORIES[i % len(CATEGORIES)],
                Decimal(self.rng.randint(300, 12000)) / 100,
            )
            for i in range(self.n_products)
        ]
        self.pipeline = self.uid()
        self.stages = [
            (self.uid(), name, p)
            for name, p in (
                ("Prospect", 10),
                ("Qualified", 30),
                ("Proposal", 60),
                ("Negotiation", 80),
            )
        ]
        self.customers: list[tuple[str, int]] = []  # (id, region index)
        self.campaigns: list[dict] = []
        self.pending: dict[int, list[tuple[str, dict, datetime]]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self._writers: dict[str, csv.writer] = {}
        self._files = []

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- raw rows -------------------------------------------------------------------------------

    def open_raw(self, folder: Path) -> None:
        """Write the final state as CSV files under ``folder`` while generating."""
        headers = {
            "orders": (
                "order_id",
                "customer_id",
                "channel",
                "region",
                "owner_id",
                "team",
                "campaign_id",
                "placed_at",
                "base_total",
                "paid",
                "cancelled",
                "returned",
            ),
            "lines": ("order_id", "product_id", "category", "quantity", "base_amount"),
            "customers": ("customer_id", "country", "created_at"),
            "tickets": (
                "ticket_id",
                "opened_at",
                "channel",
                "priority",
                "fr_seconds",
                "fr_met",
                "resolved",
                "res_seconds",
                "res_met",
                "breached",
            ),
            "attributions": ("order_id", "campaign_id", "model", "revenue", "placed_at"),
            "costs": ("campaign_id", "amount", "incurred_on"),
            "leads": (
                "lead_id",
                "created_at",
                "source",
                "qualified",
                "converted",
                "won",
                "won_amount",
            ),
            "opportunities": (
                "opportunity_id",
                "status",
                "stage",
                "amount",
                "weighted",
                "expected_close",
                "owner_id",
            ),
            "messages": (
                "campaign_id",
                "variant_id",
                "sent_at",
                "delivered",
                "opened",
                "machine_opened",
                "clicked",
            ),
        }
        folder.mkdir(parents=True, exist_ok=True)
        for name, header in headers.items():
            handle = open(folder / f"{name}.csv", "w", newline="")  # noqa: SIM115
            self._files.append(handle)
            writer = csv.writer(handle)
            writer.writerow(header)
            self._writers[name] = writer

    def close_raw(self) -> None:
        for handle in self._files:
            handle.close()
        self._files, self._writers = [], {}

    def _raw(self, table: str, *row) -> None:
        writer = self._writers.get(table)
        if writer is not None:
            writer.writerow(row)

    # -- the stream -----------------------------------------------------------------------------

    def _envelope(self, event_type: str, data: dict, moment: datetime, validate: bool) -> Envelope:
        if validate:
            validate_event(event_type, 1, data)
        self.counts[event_type] += 1
        return Envelope(
            event_id=self.uid(),
            event_type=event_type,
            version=1,
            occurred_at=_ts(moment),
            producer=event_type.split(".", 1)[0],
            correlation_id=self.uid(),
            causation_id=None,
            data=data,
            aggregate_version=data.get("revision"),
        )

    def later(self, moment: datetime, event_type: str, data: dict) -> None:
        """Emit this event on the day it happens."""
        day = (moment.date() - self.start).days
        self.pending[day].append((event_type, data, moment))

    def days_of_events(self, validate_every: int = 1) -> Iterator[list[Envelope]]:
        """One list of envelopes per day, in time order (follow-ups on their own days)."""
        weights = [self._day_weight(d) for d in range(self.days)]
        scale = self.orders / sum(weights)
        per_day = _spread([w * scale for w in weights], self.orders)
        customers_per_day = _spread([self.n_customers / self.days] * self.days, self.n_customers)
        leads_per_day = _spread([self.n_leads / self.days] * self.days, self.n_leads)
        tickets_per_day = _spread(
            [w * self.n_tickets / sum(weights) for w in weights], self.n_tickets
        )
        campaign_days = sorted(self.rng.sample(range(self.days - 20), self.n_campaigns))
        counter = 0
        for day in range(self.days):
            today = datetime.combine(
                self.start + timedelta(days=day), datetime.min.time(), tzinfo=UTC
            )
            out: list[tuple[str, dict, datetime]] = []
            if day == 0:
                out += self._setup(today)
            if today.day == 1:
                out += self._targets(today)
            for _ in range(customers_per_day[day] or (1 if not self.customers else 0)):
                out.append(self._customer(today))
            while campaign_days and campaign_days[0] == day:
                campaign_days.pop(0)
                out += self._campaign(today)
            for _ in range(per_day[day]):
                out.append(self._order(today))
            for _ in range(leads_per_day[day]):
                out.append(self._lead(today))
            for _ in range(tickets_per_day[day]):
                out.append(self._ticket(today))
            out += self.pending.pop(day, [])
            envelopes = []
            for event_type, data, moment in out:
                counter += 1
                check = bool(validate_every) and counter % validate_every == 0
                envelopes.append(self._envelope(event_type, data, moment, check))
            yield envelopes

    def _day_weight(self, day: int) -> float:
        moment = self.start + timedelta(days=day)
        growth = 1 + 0.5 * day / self.days  # the business grows
        season = 1 + 0.25 * math.sin(2 * math.pi * (moment.timetuple().tm_yday - 80) / 365)
        weekly = 0.75 if moment.weekday() >= 5 else 1.08
        peak = 1.8 if (moment.month == 11 and moment.day >= 20) or moment.month == 12 else 1
        return growth * season * weekly * peak

    # -- the actors -----------------------------------------------------------------------------

    def _setup(self, today: datetime) -> list:
        out = []
        for product_id, sku, category, price in self.products:
            out.append(
                (
                    "sales.product.created",
                    {
                        "product_id": product_id,
                        "sku": sku,
                        "name": f"{category} {sku}",
                        "category": category,
                        "unit": "piece",
                        "list_price": _money(price),
                        "tax_rate": "0",
                        "active": True,
                        "description": None,
                        "created_at": _ts(today),
                        "updated_at": _ts(today),
                        "revision": 1,
                    },
                    today,
                )
            )
        out.append(
            (
                "sales.pipeline.created",
                {
                    "pipeline_id": self.pipeline,
                    "name": "Default",
                    "is_default": True,
                    "active": True,
                    "stages": [
                        {
                            "stage_id": sid,
                            "name": name,
                            "position": i,
                            "probability": p,
                            "forecast_category": "pipeline",
                            "is_won": False,
                            "is_lost": False,
                        }
                        for i, (sid, name, p) in enumerate(self.stages)
                    ],
                    "created_at": _ts(today),
                    "updated_at": _ts(today),
                    "revision": 1,
                },
                today,
            )
        )
        return out

    def _targets(self, today: datetime) -> list:
        out = []
        month_end = (today.date().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(
            days=1
        )
        for rep in self.reps:
            out.append(
                (
                    "sales.target.set",
                    {
                        "target_id": self.uid(),
                        "subject": "rep",
                        "owner_id": rep,
                        "team": self.rep_team[rep],
                        "period_kind": "month",
                        "period": today.strftime("%Y-%m"),
                        "period_start": today.date().isoformat(),
                        "period_end": month_end.isoformat(),
                        "metric": "revenue",
                        "value": f"{self.orders * 60 // 24 // 40}.00",
                        "currency": "EUR",
                        "set_by": None,
                        "revision": 1,
                    },
                    today,
                )
            )
        return out

    def _customer(self, today: datetime):
        customer_id = self.uid()
        region = self.rng.randrange(len(REGIONS))
        self.customers.append((customer_id, region))
        moment = today + timedelta(minutes=self.rng.randint(0, 1439))
        self._raw("customers", customer_id, COUNTRIES[region], _ts(moment))
        return (
            "customer.created",
            {
                "customer_id": customer_id,
                "kind": "person",
                "name": f"Customer {customer_id[:8]}",
                "first_name": None,
                "last_name": None,
                "company_id": None,
                "job_title": None,
                "emails": [],
                "phones": [],
                "primary_email": None,
                "primary_phone": None,
                "country": COUNTRIES[region],
                "region": REGIONS[region],
                "city": None,
                "industry": None,
                "size": None,
                "source": self.rng.choice(SOURCES),
                "lifecycle_stage": "customer",
                "owner_id": None,
                "owner_team": None,
                "tags": [],
                "attributes": {},
                "demographics": {},
                "psychographics": {},
                "status": "active",
                "created_at": _ts(moment),
                "updated_at": _ts(moment),
                "revision": 1,
            },
            moment,
        )

    def _pick_customer(self) -> tuple[str, int]:
        # Loyal customers buy again: a power law over the customers known so far.
        index = int(len(self.customers) * (self.rng.random() ** 2.2))
        return self.customers[min(index, len(self.customers) - 1)]

    def _campaign(self, today: datetime) -> list:
        campaign_id, variants = self.uid(), [self.uid(), self.uid()]
        name = f"Campaign {len(self.campaigns) + 1:03d}"
        self.campaigns.append({"id": campaign_id, "variants": variants, "day": today})
        state = {
            "campaign_id": campaign_id,
            "name": name,
            "description": None,
            "channel": "email",
            "objective": "conversion",
            "status": "running",
            "budget": _money(Decimal(20000)),
            "spend": _money(Decimal(0)),
            "planned_start": _ts(today),
            "planned_end": _ts(today + timedelta(days=30)),
            "scheduled_at": None,
            "launched_at": _ts(today),
            "paused_at": None,
            "completed_at": None,
            "cancelled_at": None,
            "owner_id": self.rng.choice(self.reps),
            "owner_team": "marketing",
            "segment_ids": [],
            "exclude_segment_ids": [],
            "utm_campaign": name.lower(),
            "coupon_id": None,
            "survey_id": None,
            "variants": [
                {
                    "variant_id": v,
                    "name": label,
                    "split_percent": 50,
                    "template_id": None,
                    "is_winner": False,
                }
                for v, label in zip(variants, ("A", "B"), strict=True)
            ],
            "ab_test": None,
            "winner_variant_id": None,
            "created_at": _ts(today),
            "updated_at": _ts(today),
            "revision": 2,
        }
        out = [("campaign.launched", state, today)]
        completed = today + timedelta(days=30)
        self.later(
            completed,
            "campaign.completed",
            {
                **state,
                "status": "completed",
                "completed_at": _ts(completed),
                "updated_at": _ts(completed),
                "revision": 3,
            },
        )
        for n in range(6):
            spent = today + timedelta(days=5 * n)
            amount = Decimal(self.rng.randint(200, 3000))
            self.later(
                spent,
                "campaign.cost.recorded",
                {
                    "cost_id": self.uid(),
                    "campaign_id": campaign_id,
                    "category": "media",
                    "description": None,
                    "amount": _money(amount),
                    "fx_rate": "1",
                    "base_amount": _money(amount),
                    "incurred_on": spent.date().isoformat(),
                    "spend": _money(amount),
                    "budget": _money(Decimal(20000)),
                    "recorded_at": _ts(spent),
                },
            )
            self._raw("costs", campaign_id, amount, spent.date().isoformat())
        for _ in range(self.n_messages // self.n_campaigns):
            self._message(campaign_id, variants, today)
        return out

    def _message(self, campaign_id: str, variants: list[str], today: datetime) -> None:
        rng = self.rng
        customer_id, _ = self._pick_customer() if self.customers else (self.uid(), 0)
        variant = rng.choice(variants)
        sent = today + timedelta(minutes=rng.randint(0, 600))
        common = {
            "message_id": self.uid(),
            "campaign_id": campaign_id,
            "variant_id": variant,
            "customer_id": customer_id,
            "channel": "email",
            "purpose": "campaign",
        }
        self.later(sent, "campaign.message.sent", {**common, "sent_at": _ts(sent)})
        if rng.random() < 0.04:
            self.later(
                sent,
                "campaign.message.bounced",
                {
                    **common,
                    "bounce_type": "hard",
                    "smtp_code": 550,
                    "reason": "no such user",
                    "attempts": 1,
                    "bounced_at": _ts(sent),
                },
            )
            self._raw("messages", campaign_id, variant, _ts(sent), False, False, False, False)
            return
        self.later(
            sent,
            "campaign.message.delivered",
            {**common, "delivered_at": _ts(sent), "attempts": 1, "smtp_code": 250},
        )
        machine = rng.random() < 0.15
        opened = rng.random() < 0.32
        clicked = opened and rng.random() < 0.25
        if machine:
            at = sent + timedelta(minutes=1)
            self.later(
                at,
                "campaign.message.opened",
                {
                    **common,
                    "opened_at": _ts(at),
                    "first": True,
                    "machine": True,
                    "machine_reason": "apple_mpp",
                },
            )
        if opened:
            at = sent + timedelta(hours=rng.randint(1, 30))
            self.later(
                at,
                "campaign.message.opened",
                {
                    **common,
                    "opened_at": _ts(at),
                    "first": True,
                    "machine": False,
                    "machine_reason": None,
                },
            )
        if clicked:
            at = sent + timedelta(hours=rng.randint(1, 30), minutes=5)
            self.later(
                at,
                "campaign.message.clicked",
                {
                    **common,
                    "clicked_at": _ts(at),
                    "link_id": "cta",
                    "url": "https://shop.example",
                    "first": True,
                    "machine": False,
                    "machine_reason": None,
                },
            )
        self._raw("messages", campaign_id, variant, _ts(sent), True, opened, machine, clicked)

    def _order(self, today: datetime):
        rng = self.rng
        customer_id, region = self._pick_customer()
        order_id = self.uid()
        moment = today + timedelta(seconds=rng.randint(0, 86399))
        owner = self.reps[region * 5 + rng.randrange(5)]
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        recent = [c for c in self.campaigns[-3:] if (today - c["day"]).days < 45]
        campaign = rng.choice(recent) if recent and rng.random() < 0.3 else None
        lines, total = [], Decimal(0)
        for product_id, sku, category, price in rng.sample(
            self.products, rng.choice((1, 1, 2, 2, 3, 4))
        ):
            quantity = rng.choice((1, 1, 1, 2, 3))
            line_total = price * quantity
            total += line_total
            lines.append(
                {
                    "product_id": product_id,
                    "sku": sku,
                    "name": f"{category} {sku}",
                    "category": category,
                    "quantity": str(quantity),
                    "unit_price": _money(price),
                    "discount": _money(Decimal(0)),
                    "tax_rate": "0",
                    "line_total": _money(line_total),
                }
            )
            self._raw("lines", order_id, product_id, category, quantity, line_total)
        header = {
            "order_id": order_id,
            "customer_id": customer_id,
            "total": _money(total),
            "base_total": _money(total),
            "channel": channel,
            "region": REGIONS[region],
            "owner_id": owner,
            "campaign_id": campaign["id"] if campaign else None,
            "coupon_id": None,
            "coupon_code": None,
            "placed_at": _ts(moment),
        }
        placed = {
            **header,
            "number": f"SO-{order_id[:8]}",
            "channel_id": None,
            "owner_team": self.rep_team[owner],
            "lines": lines,
            "subtotal": _money(total),
            "discount_total": _money(Decimal(0)),
            "tax_total": _money(Decimal(0)),
            "fx_rate": "1",
            "utm": None,
            "quote_id": None,
            "opportunity_id": None,
            "revision": 1,
        }
        fate = rng.random()
        paid = fate < 0.93
        cancelled = fate >= 0.96 or (fate < 0.02)
        returned = Decimal(0)
        if paid:
            paid_at = moment + timedelta(minutes=rng.randint(1, 600))
            self.later(
                paid_at, "sales.order.paid", {**header, "paid_at": _ts(paid_at), "revision": 2}
            )
            if campaign is not None:
                at = paid_at + timedelta(seconds=5)
                self.later(
                    at,
                    "campaign.attribution.recorded",
                    {
                        "order_id": order_id,
                        "customer_id": customer_id,
                        "status": "attributed",
                        "method": "touchpoint",
                        "revenue": _money(total),
                        "lookback_days": 30,
                        "attributions": [
                            {
                                "campaign_id": campaign["id"],
                                "model": model,
                                "share": "1",
                                "revenue": _money(total),
                                "variant_id": campaign["variants"][0],
                            }
                            for model in ("last_touch", "first_touch", "linear")
                        ],
                        "placed_at": _ts(moment),
                        "attributed_at": _ts(at),
                        "revision": 1,
                    },
                )
                for model in ("last_touch", "first_touch", "linear"):
                    self._raw("attributions", order_id, campaign["id"], model, total, _ts(moment))
            if not cancelled and rng.random() < 0.05:
                back = moment + timedelta(days=rng.randint(3, 20))
                line = lines[0]
                returned = Decimal(line["line_total"]["amount"])
                self.later(
                    back,
                    "sales.order.returned",
                    {
                        "order_id": order_id,
                        "customer_id": customer_id,
                        "return_id": self.uid(),
                        "full": len(lines) == 1,
                        "lines": [
                            {
                                "product_id": line["product_id"],
                                "sku": line["sku"],
                                "quantity": line["quantity"],
                                "amount": line["line_total"],
                            }
                        ],
                        "amount": line["line_total"],
                        "base_amount": line["line_total"],
                        "reason": "damaged",
                        "ticket_id": None,
                        "returned_at": _ts(back),
                        "revision": 4,
                    },
                )
        if cancelled:
            at = moment + timedelta(hours=rng.randint(1, 48))
            self.later(
                at,
                "sales.order.cancelled",
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "total": _money(total),
                    "base_total": _money(total),
                    "was_paid": paid,
                    "reason": "customer request",
                    "cancelled_at": _ts(at),
                    "revision": 3,
                },
            )
        self._raw(
            "orders",
            order_id,
            customer_id,
            channel,
            REGIONS[region],
            owner,
            self.rep_team[owner],
            campaign["id"] if campaign else "",
            _ts(moment),
            total,
            paid,
            cancelled,
            returned,
        )
        return ("sales.order.placed", placed, moment)

    def _lead(self, today: datetime):
        rng = self.rng
        lead_id, moment = self.uid(), today + timedelta(minutes=rng.randint(0, 1439))
        owner = rng.choice(self.reps)
        source = rng.choice(SOURCES)
        state = {
            "lead_id": lead_id,
            "status": "new",
            "source": source,
            "campaign_id": None,
            "customer_id": None,
            "owner_id": owner,
            "owner_team": self.rep_team[owner],
            "region": None,
            "country": None,
            "company": None,
            "score": rng.randint(0, 100),
            "utm": None,
            "disqualify_reason": None,
            "created_at": _ts(moment),
            "updated_at": _ts(moment),
            "revision": 1,
        }
        qualified = converted = won = False
        amount = Decimal(0)
        if rng.random() < 0.45:
            qualified = True
            at = moment + timedelta(days=rng.randint(1, 10))
            self.later(
                at,
                "sales.lead.qualified",
                {
                    **state,
                    "status": "qualified",
                    "updated_at": _ts(at),
                    "revision": 2,
                    "qualified_at": _ts(at),
                    "previous_status": "new",
                },
            )
            if rng.random() < 0.7:
                converted = True
                conv = at + timedelta(days=rng.randint(1, 10))
                opp = self.uid()
                self.later(
                    conv,
                    "sales.lead.converted",
                    {
                        **state,
                        "status": "converted",
                        "updated_at": _ts(conv),
                        "revision": 3,
                        "opportunity_id": opp,
                        "converted_at": _ts(conv),
                        "previous_status": "qualified",
                    },
                )
                won, amount = self._opportunity(opp, lead_id, owner, conv)
        elif rng.random() < 0.3:
            at = moment + timedelta(days=rng.randint(1, 10))
            self.later(
                at,
                "sales.lead.disqualified",
                {
                    **state,
                    "status": "disqualified",
                    "updated_at": _ts(at),
                    "revision": 2,
                    "reason": "no budget",
                    "disqualified_at": _ts(at),
                    "previous_status": "new",
                },
            )
        self._raw("leads", lead_id, _ts(moment), source, qualified, converted, won, amount)
        return (
            "sales.lead.created",
            {**state, "captured": False, "assigned_by_rule_id": None},
            moment,
        )

    def _opportunity(self, opp: str, lead_id: str, owner: str, opened: datetime):
        rng = self.rng
        amount = Decimal(rng.randint(10, 400) * 100)
        close = opened + timedelta(days=rng.randint(20, 120))
        customer_id = self._pick_customer()[0]

        def state(stage, status, at, revision, **extra):
            sid, name, probability = stage
            probability = 100 if status == "won" else 0 if status == "lost" else probability
            return {
                "opportunity_id": opp,
                "name": f"Deal {opp[:6]}",
                "customer_id": customer_id,
                "lead_id": lead_id,
                "pipeline_id": self.pipeline,
                "stage_id": sid,
                "stage_name": name,
                "status": status,
                "probability": probability,
                "forecast_category": "pipeline" if status == "open" else "closed",
                "amount": _money(amount),
                "base_amount": _money(amount),
                "fx_rate": "1",
                "weighted_base_amount": _money(amount * probability / 100),
                "expected_close_date": close.date().isoformat(),
                "owner_id": owner,
                "owner_team": self.rep_team[owner],
                "region": None,
                "campaign_id": None,
                "source": None,
                "competitors": [],
                "next_step": None,
                "created_at": _ts(opened),
                "updated_at": _ts(at),
                "closed_at": _ts(at) if status != "open" else None,
                "revision": revision,
                **extra,
            }

        self.later(opened, "sales.opportunity.created", state(self.stages[0], "open", opened, 1))
        at, revision, stage = opened, 1, 0
        final = rng.random()
        steps = 1 + rng.randrange(3)
        for _ in range(steps):
            moved = at + timedelta(days=rng.randint(3, 20))
            revision += 1
            self.later(
                moved,
                "sales.opportunity.stage_changed",
                state(
                    self.stages[stage + 1],
                    "open",
                    moved,
                    revision,
                    from_stage_id=self.stages[stage][0],
                    from_stage_name=self.stages[stage][1],
                    from_probability=self.stages[stage][2],
                    time_in_previous_stage_seconds=int((moved - at).total_seconds()),
                    to_stage_id=self.stages[stage + 1][0],
                    to_stage_name=self.stages[stage + 1][1],
                    from_status="open",
                    changed_at=_ts(moved),
                ),
            )
            at, stage = moved, stage + 1
        won = final < 0.4
        if final < 0.75:
            closed = at + timedelta(days=rng.randint(3, 20))
            revision += 1
            kind = "sales.opportunity.won" if won else "sales.opportunity.lost"
            extra = (
                {"won_at": _ts(closed), "reason": None}
                if won
                else {
                    "lost_at": _ts(closed),
                    "reason": "price",
                    "competitor": None,
                    "competitor_id": None,
                }
            )
            self.later(
                closed,
                kind,
                state(
                    self.stages[stage],
                    "won" if won else "lost",
                    closed,
                    revision,
                    from_stage_id=self.stages[stage][0],
                    from_stage_name=self.stages[stage][1],
                    from_probability=self.stages[stage][2],
                    time_in_previous_stage_seconds=int((closed - at).total_seconds()),
                    **extra,
                ),
            )
            status = "won" if won else "lost"
        else:
            status = "open"
        probability = self.stages[stage][2]
        self._raw(
            "opportunities",
            opp,
            status,
            self.stages[stage][1],
            amount,
            amount * probability / 100 if status == "open" else 0,
            close.date().isoformat(),
            owner,
        )
        return won, amount if won else Decimal(0)

    def _ticket(self, today: datetime):
        rng = self.rng
        ticket_id, moment = self.uid(), today + timedelta(minutes=rng.randint(0, 1439))
        customer_id = self._pick_customer()[0]
        channel, priority = rng.choice(TICKET_CHANNELS), rng.choice(PRIORITIES)
        agent, group = rng.choice(self.reps), None
        base = {
            "ticket_id": ticket_id,
            "number": f"T-{ticket_id[:8]}",
            "customer_id": customer_id,
            "order_id": None,
            "category": rng.choice(("question", "complaint", "return")),
            "channel": channel,
            "priority": priority,
            "status": "open",
            "group_id": group,
            "agent_id": agent,
            "policy_id": None,
            "calendar_id": None,
            "tags": [],
            "parent_ticket_id": None,
            "created_at": _ts(moment),
        }
        first = rng.randint(300, 30000)
        fr_met = first <= 14400
        responded = moment + timedelta(seconds=first)
        self.later(
            responded,
            "support.ticket.first_responded",
            {
                **base,
                "status": "open",
                "revision": 2,
                "responded_at": _ts(responded),
                "responder_id": agent,
                "comment_id": self.uid(),
                "business_seconds": first,
                "calendar_seconds": first,
                "target_minutes": 240,
                "met": fr_met,
            },
        )
        breached = not fr_met
        if breached:
            detected = moment + timedelta(hours=4)
            self.later(
                detected,
                "support.ticket.sla_breached",
                {
                    "ticket_id": ticket_id,
                    "number": base["number"],
                    "customer_id": customer_id,
                    "policy_id": self.pipeline,
                    "policy_name": "Standard",
                    "calendar_id": None,
                    "target": "first_response",
                    "cycle": 1,
                    "due_at": _ts(detected),
                    "target_minutes": 240,
                    "elapsed_business_seconds": 14400,
                    "detected_at": _ts(detected),
                    "priority": priority,
                    "category": base["category"],
                    "channel": channel,
                    "group_id": None,
                    "agent_id": agent,
                    "revision": 3,
                },
            )
        resolved = rng.random() < 0.9
        resolution = first + rng.randint(1800, 200000)
        res_met = resolution <= 86400
        if resolved:
            at = moment + timedelta(seconds=resolution)
            self.later(
                at,
                "support.ticket.resolved",
                {
                    **base,
                    "status": "resolved",
                    "revision": 4,
                    "resolved_at": _ts(at),
                    "resolved_by": agent,
                    "first_response_business_seconds": first,
                    "first_response_calendar_seconds": first,
                    "resolution_business_seconds": resolution,
                    "resolution_calendar_seconds": resolution,
                    "reopened_count": 0,
                    "sla_met": {
                        "first_response": fr_met,
                        "next_response": None,
                        "resolution": res_met,
                    },
                },
            )
            if rng.random() < 0.4:
                answered = at + timedelta(hours=rng.randint(1, 48))
                score = rng.choice((5, 5, 4, 4, 4, 3, 2, 1))
                self.later(
                    answered,
                    "support.survey.answered",
                    {
                        "survey_id": self.uid(),
                        "ticket_id": ticket_id,
                        "customer_id": customer_id,
                        "agent_id": agent,
                        "group_id": None,
                        "policy_id": None,
                        "kind": "csat",
                        "score": score,
                        "scale_min": 1,
                        "scale_max": 5,
                        "satisfied": score >= 4,
                        "nps_category": None,
                        "low_score": score <= 2,
                        "follow_up": None,
                        "follow_up_ticket_id": None,
                        "comment": None,
                        "sent_at": _ts(at),
                        "answered_at": _ts(answered),
                    },
                )
        self._raw(
            "tickets",
            ticket_id,
            _ts(moment),
            channel,
            priority,
            first,
            fr_met,
            resolved,
            resolution if resolved else "",
            res_met if resolved else "",
            breached,
        )
        return (
            "support.ticket.opened",
            {
                **base,
                "revision": 1,
                "origin": "email",
                "opened_at": _ts(moment),
                "first_response_due_at": None,
                "resolution_due_at": None,
            },
            moment,
        )


def _spread(expected: list[float], total: int) -> list[int]:
    """Whole numbers per slot that follow ``expected`` and add up to ``total``."""
    counts, carry = [], 0.0
    for value in expected:
        carry += value
        whole = int(carry)
        counts.append(whole)
        carry -= whole
    counts[-1] += total - sum(counts)
    return counts
