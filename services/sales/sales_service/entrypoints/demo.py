"""Demo data for ``make run`` (idempotent): a catalogue with categories, channels, a price
list, exchange rates, a pipeline, and leads, deals, quotes, orders, contracts and tasks for the
customers the replica holds. With an empty replica, web-form leads with inline contacts are
captured instead, and the customer service creates those customers through the choreography.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from sales_service.adapters import tables as t
from sales_service.service import catalogue, contracts, fx, leads, opportunities, orders, quotes
from sales_service.service import tasks as task_use
from servicekit.identity import Identity

DEMO_ACTOR = Identity(
    subject="system:demo", kind="system", roles=frozenset({"admin"}), name="Demo loader"
)

PRODUCTS = [
    ("TEA-001", "Longjing green tea 250g", "Tea", "box", "24.50", "0.07"),
    ("TEA-002", "Tieguanyin oolong 200g", "Tea", "box", "19.90", "0.07"),
    ("TEA-003", "Pu-erh cake 357g", "Tea", "cake", "39.00", "0.07"),
    ("COF-001", "Yunnan arabica beans 1kg", "Coffee", "bag", "28.00", "0.07"),
    ("COF-002", "Espresso blend 500g", "Coffee", "bag", "15.50", "0.07"),
    ("ACC-001", "Yixing clay teapot", "Accessories", "piece", "65.00", "0.19"),
    ("ACC-002", "Porcelain gaiwan set", "Accessories", "set", "42.00", "0.19"),
    ("ACC-003", "Bamboo tea tray", "Accessories", "piece", "55.00", "0.19"),
    ("GFT-001", "Tea tasting gift box", "Gifts", "box", "49.00", "0.07"),
    ("SRV-001", "Tea ceremony workshop", "Services", "session", "180.00", "0.19"),
]
CHANNELS = [
    ("direct", "Direct sales", "DIRECT", None, None),
    ("online_store", "Online store", "WEB", None, None),
    ("retail_store", "Shanghai flagship store", "SH-STORE", "CN-East", None),
    ("distributor", "East China distribution", "DIST-EAST", "CN-East", "Huadong Trading Co."),
    ("partner", "Nordic tea partner", "PARTNER-NORD", "Nordics", "Nordic Leaf AB"),
]
RATES = [("USD", "0.921500"), ("CNY", "0.128500"), ("JPY", "0.006150"), ("SEK", "0.087400")]
WEB_CONTACTS = [
    ("Mei", "Lin", "mei.lin@example.com", "+8613800138000", "CN", "Shanghai", "Lin Trading"),
    ("Anna", "Schmidt", "anna.schmidt@example.com", "+4915112345678", "DE", "Bayern", None),
    ("Lars", "Eriksson", "lars.eriksson@example.com", "+46701234567", "SE", "Stockholm", None),
    ("Yuki", "Tanaka", "yuki.tanaka@example.com", "+819012345678", "JP", "Tokyo", "Sakura KK"),
    ("Emily", "Carter", "emily.carter@example.com", "+14155550123", "US", "CA", None),
]


def _count(session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def seed_catalogue(rt) -> dict:
    with rt.db.session() as session:
        present = _count(session, t.products)
    if present:
        with rt.db.session() as session:
            ids = dict(session.execute(select(t.products.c.sku, t.products.c.id)).all())
            channels = dict(session.execute(select(t.channels.c.code, t.channels.c.id)).all())
        return {"products": ids, "channels": channels}
    ids, channels = {}, {}
    for sku, name, category, unit, price, tax in PRODUCTS:
        with rt.uow() as uow:
            product = catalogue.create_product(
                uow,
                DEMO_ACTOR,
                {
                    "sku": sku,
                    "name": name,
                    "category": category,
                    "unit": unit,
                    "list_price": Decimal(price),
                    "tax_rate": Decimal(tax),
                },
            )
            ids[sku] = product.id
    for kind, name, code, region, partner in CHANNELS:
        with rt.uow() as uow:
            channel = catalogue.create_channel(
                uow,
                DEMO_ACTOR,
                {
                    "kind": kind,
                    "name": name,
                    "code": code,
                    "region": region,
                    "partner_name": partner,
                    "commission_rate": Decimal("0.08") if partner else None,
                },
            )
            channels[code] = channel.id
    today = rt.extras["config"].now().date()
    with rt.uow() as uow:
        catalogue.create_price_list(
            uow,
            DEMO_ACTOR,
            {
                "name": "Distributor prices",
                "channel_id": channels["DIST-EAST"],
                "valid_from": today.replace(month=1, day=1),
                "valid_until": today.replace(month=12, day=31),
                "items": [
                    {
                        "product_id": ids[sku],
                        "unit_price": Decimal(price) * Decimal("0.8"),
                        "min_quantity": Decimal(1),
                    }
                    for sku, _n, _c, _u, price, _t in PRODUCTS[:5]
                ]
                + [
                    {
                        "product_id": ids["TEA-001"],
                        "unit_price": Decimal("17.90"),
                        "min_quantity": Decimal(100),
                    }
                ],
            },
        )
    with rt.uow() as uow:
        catalogue.create_price_list(
            uow,
            DEMO_ACTOR,
            {
                "name": "Gold customers",
                "customer_tier": "gold",
                "items": [
                    {"product_id": ids[sku], "unit_price": Decimal(price) * Decimal("0.9")}
                    for sku, _n, _c, _u, price, _t in PRODUCTS
                ],
            },
        )
    for currency, rate in RATES:
        with rt.uow() as uow:
            fx.record_rate(
                uow,
                DEMO_ACTOR,
                {
                    "currency": currency,
                    "rate": Decimal(rate),
                    "effective_from": datetime.now(UTC) - timedelta(days=400),
                },
            )
    with rt.uow() as uow:
        opportunities.create_pipeline(
            uow,
            DEMO_ACTOR,
            {
                "name": "B2B sales",
                "is_default": True,
                "stages": opportunities.DEFAULT_STAGES,
            },
        )
    return {"products": ids, "channels": channels}


def seed_customers(rt, catalogue_ids: dict) -> str:
    with rt.db.session() as session:
        if _count(session, t.orders) or _count(session, t.leads):
            return "sales: demo deals already present"
        customers = session.execute(
            select(t.customers.c.id, t.customers.c.name)
            .where(t.customers.c.status == "active")
            .order_by(t.customers.c.name)
            .limit(12)
        ).all()
    if not customers:
        for first, last, email, phone, country, region, company in WEB_CONTACTS:
            with rt.uow() as uow:
                leads.create_lead(
                    uow,
                    DEMO_ACTOR,
                    {
                        "source": "web_form",
                        "contact": {
                            "first_name": first,
                            "last_name": last,
                            "email": email,
                            "phone": phone,
                            "country": country,
                            "region": region,
                            "company": company,
                        },
                        "score": 50,
                        "utm": {"source": "google", "medium": "cpc", "campaign": "autumn"},
                    },
                )
        return (
            f"sales: {len(WEB_CONTACTS)} web-form leads captured (the customer service creates "
            "their customers)"
        )
    rng = random.Random(11)
    products = catalogue_ids["products"]
    skus = sorted(products)
    counts = {"leads": 0, "deals": 0, "quotes": 0, "orders": 0, "contracts": 0}
    for index, (customer_id, name) in enumerate(customers):
        with rt.uow() as uow:
            lead = leads.create_lead(
                uow,
                DEMO_ACTOR,
                {
                    "source": rng.choice(["web_form", "referral", "trade_fair"]),
                    "customer_id": customer_id,
                    "score": rng.randint(20, 90),
                },
            )
            counts["leads"] += 1
        if index % 3 == 0:
            continue
        with rt.uow() as uow:
            lead, deal = leads.convert_lead(
                uow,
                DEMO_ACTOR,
                lead.id,
                {
                    "name": f"{name} — {rng.choice(['autumn range', 'gift boxes', 'workshops'])}",
                    "amount": Decimal(rng.randrange(2_000, 40_000, 500)),
                    "expected_close_date": datetime.now(UTC).date()
                    + timedelta(days=rng.randint(10, 150)),
                },
            )
            counts["deals"] += 1
        pipeline_stages = _stages(rt, deal.pipeline_id)
        with rt.uow() as uow:
            opportunities.move(
                uow, DEMO_ACTOR, deal.id, {"stage_id": rng.choice(pipeline_stages[1:4])}
            )
        lines = [
            {"product_id": products[sku], "quantity": Decimal(rng.randint(1, 20))}
            for sku in rng.sample(skus, 2)
        ]
        with rt.uow() as uow:
            quote = quotes.draft_quote(
                uow,
                DEMO_ACTOR,
                {"customer_id": customer_id, "opportunity_id": deal.id, "lines": lines},
            )
            counts["quotes"] += 1
        with rt.uow() as uow:
            quotes.send_quote(uow, DEMO_ACTOR, quote.id, {})
        if index % 2 == 0:
            with rt.uow() as uow:
                _quote, order = quotes.accept_quote(uow, DEMO_ACTOR, quote.id, {})
                counts["orders"] += 1
            for action in ("pay", "fulfil", "deliver")[: rng.randint(0, 3)]:
                with rt.uow() as uow:
                    orders.act(uow, DEMO_ACTOR, order.id, action, {})
            with rt.uow() as uow:
                opportunities.win(uow, DEMO_ACTOR, deal.id, {"reason": "quote accepted"})
        with rt.uow() as uow:
            order = orders.place_order(
                uow,
                DEMO_ACTOR,
                {
                    "customer_id": customer_id,
                    "channel_id": catalogue_ids["channels"].get("WEB"),
                    "lines": [{"product_id": products[rng.choice(skus)], "quantity": Decimal(2)}],
                    "utm": {"source": "newsletter", "medium": "email", "campaign": "autumn"},
                },
            )
            counts["orders"] += 1
        with rt.uow() as uow:
            orders.act(uow, DEMO_ACTOR, order.id, "pay", {})
        if index % 4 == 1:
            start = datetime.now(UTC).date().replace(day=1)
            with rt.uow() as uow:
                contract = contracts.draft_contract(
                    uow,
                    DEMO_ACTOR,
                    {
                        "customer_id": customer_id,
                        "title": f"Supply agreement {name}",
                        "start_date": start,
                        "end_date": start + timedelta(days=364),
                        "value": Decimal(rng.randrange(10_000, 60_000, 1_000)),
                        "renewal_notice_days": 45,
                    },
                )
            with rt.uow() as uow:
                contracts.sign(uow, DEMO_ACTOR, contract.id, {})
            counts["contracts"] += 1
        with rt.uow() as uow:
            task_use.plan_task(
                uow,
                DEMO_ACTOR,
                {
                    "kind": rng.choice(["call", "visit", "meeting", "follow_up"]),
                    "subject": f"Follow up with {name}",
                    "due_at": datetime.now(UTC) + timedelta(days=rng.randint(1, 14)),
                    "related_type": "opportunity",
                    "related_id": deal.id,
                },
            )
    return "sales: demo data loaded (" + ", ".join(f"{v} {k}" for k, v in counts.items()) + ")"


def _stages(rt, pipeline_id: str) -> list[str]:
    with rt.uow() as uow:
        pipeline = uow.pipelines.get(pipeline_id)
        return [s.id for s in pipeline.stages if s.is_open]


def seed(rt) -> None:
    ids = seed_catalogue(rt)
    print(seed_customers(rt, ids))
