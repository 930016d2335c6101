"""Demo data for ``make run``: companies, contacts, consent, interactions and segments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from customer_service.adapters import tables as t
from customer_service.service import customers as use
from customer_service.service import interactions, segments
from servicekit.identity import Identity

DEMO_ACTOR = Identity(
    subject="system:demo", kind="system", roles=frozenset({"admin"}), name="Demo loader"
)

COMPANIES = [
    ("Lin Trading Co., Ltd.", "CN", "Shanghai", "Shanghai", "Retail", "51-200"),
    ("Beijing Huaxia Foods", "CN", "Beijing", "Beijing", "Food & Beverage", "201-500"),
    ("Müller Maschinenbau GmbH", "DE", "Bayern", "München", "Manufacturing", "501-1000"),
    ("Nordic Outdoor AB", "SE", "Stockholm", "Stockholm", "Retail", "11-50"),
    ("Sakura Cosmetics KK", "JP", "Tokyo", "Tokyo", "Cosmetics", "201-500"),
    ("Pacific Coast Coffee", "US", "CA", "San Francisco", "Food & Beverage", "11-50"),
]
PEOPLE = [
    ("Mei", "Lin", "+8613800138000"),
    ("Wei", "Zhang", "+8613911112222"),
    ("Anna", "Schmidt", "+4915112345678"),
    ("Lars", "Eriksson", "+46701234567"),
    ("Yuki", "Tanaka", "+819012345678"),
    ("Emily", "Carter", "+14155550123"),
    ("Hao", "Chen", "+8613722223333"),
    ("Julia", "Weber", "+4915223456789"),
    ("Sven", "Lindqvist", "+46709876543"),
    ("Haruto", "Sato", "+819087654321"),
    ("Olivia", "Brown", "+14155550188"),
    ("Jing", "Wang", "+8613633334444"),
]
INTERESTS = ["tea", "design", "outdoor", "cooking", "fitness", "travel", "technology", "fashion"]


def seed(rt) -> None:
    with rt.db.session() as session:
        if session.execute(select(func.count()).select_from(t.customers)).scalar_one():
            print("customer: demo data already present")
            return
    rng = random.Random(7)
    company_ids = []
    for name, country, region, city, industry, size in COMPANIES:
        with rt.uow() as uow:
            company = use.create_customer(
                uow,
                DEMO_ACTOR,
                {
                    "kind": "company",
                    "name": name,
                    "industry": industry,
                    "size": size,
                    "address": {"country": country, "region": region, "city": city},
                    "lifecycle_stage": "customer",
                    "source": "trade_fair",
                    "tags": ["key account"],
                },
                force=True,
            )
            company_ids.append((company.id, country, region, city))
    for i, (first, last, phone) in enumerate(PEOPLE):
        company_id, country, region, city = company_ids[i % len(company_ids)]
        with rt.uow() as uow:
            person = use.create_customer(
                uow,
                DEMO_ACTOR,
                {
                    "kind": "person",
                    "first_name": first,
                    "last_name": last,
                    "emails": [{"address": f"{first}.{last}@example.com".lower(), "primary": True}],
                    "phones": [{"number": phone}],
                    "company_id": company_id,
                    "job_title": rng.choice(["Buyer", "Head of Purchasing", "Owner", "Marketing"]),
                    "address": {"country": country, "region": region, "city": city},
                    "lifecycle_stage": rng.choice(["lead", "sales_qualified", "customer"]),
                    "source": rng.choice(["web_form", "trade_fair", "referral"]),
                    "demographics": {
                        "gender": rng.choice(["female", "male"]),
                        "birth_date": date(
                            rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28)
                        ).isoformat(),
                        "income_band": rng.choice(["middle", "upper_middle", "high"]),
                    },
                    "psychographics": {
                        "lifestyle": rng.choice(
                            ["urban professional", "family", "outdoor enthusiast"]
                        ),
                        "interests": rng.sample(INTERESTS, 3),
                    },
                    "tags": ["vip"] if i % 4 == 0 else [],
                },
                force=True,
            )
        with rt.uow() as uow:
            use.set_consent(
                uow, DEMO_ACTOR, person.id, "email", "granted" if i % 5 else "withdrawn", "web_form"
            )
        with rt.uow() as uow:
            interactions.log_interaction(
                uow,
                DEMO_ACTOR,
                person.id,
                {
                    "kind": rng.choice(["call", "meeting", "email"]),
                    "occurred_at": datetime.now(UTC) - timedelta(days=rng.randint(1, 40)),
                    "subject": "Introductory conversation",
                    "outcome": "interested",
                    "next_step": "Send the autumn catalogue",
                    "next_step_due": datetime.now(UTC) + timedelta(days=rng.randint(1, 10)),
                },
            )
    with rt.uow() as uow:
        segments.define_segment(
            uow,
            DEMO_ACTOR,
            {
                "name": "Email-reachable customers in China",
                "kind": "dynamic",
                "rules": {
                    "all": [
                        {"field": "country", "op": "eq", "value": "CN"},
                        {"field": "consent.email", "op": "eq", "value": True},
                    ]
                },
            },
        )
    with rt.uow() as uow:
        segments.define_segment(
            uow,
            DEMO_ACTOR,
            {
                "name": "VIP contacts",
                "kind": "dynamic",
                "rules": {
                    "all": [
                        {"field": "kind", "op": "eq", "value": "person"},
                        {"field": "tags", "op": "contains", "value": "vip"},
                    ]
                },
            },
        )
    print(f"customer: demo data loaded ({len(COMPANIES)} companies, {len(PEOPLE)} contacts)")
