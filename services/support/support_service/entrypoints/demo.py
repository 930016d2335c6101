"""Demo data for ``make run``: business calendars, SLA policies, an agent group and tickets.

Idempotent: each part is created only when missing. Tickets need customers, which reach support
through the customer service's events; when the replica is still empty the tickets are skipped
(run ``support-service seed-demo`` again later to add them).
"""

from __future__ import annotations

from sqlalchemy import func, select

from servicekit.identity import Identity
from support_service.adapters import tables as t
from support_service.service import configuration, tickets

DEMO_ACTOR = Identity(
    subject="system:demo", kind="system", roles=frozenset({"admin"}), name="Demo loader"
)
WEEKDAYS_9_18 = {
    d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
}
SPLIT_SHIFT = {
    d: [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
    for d in ("mon", "tue", "wed", "thu", "fri")
}
AGENTS = [
    ("5d9c1c6e-1c61-4c55-9a1e-0b1a2c3d4e01", "Li Na", "li.na@demo.mms.local"),
    ("5d9c1c6e-1c61-4c55-9a1e-0b1a2c3d4e02", "Jonas Becker", "jonas.becker@demo.mms.local"),
    ("5d9c1c6e-1c61-4c55-9a1e-0b1a2c3d4e03", "Wang Fang", "wang.fang@demo.mms.local"),
]
TICKETS = [
    ("Parcel arrived damaged", "complaint", "email", "high", ["damaged"]),
    ("How do I brew the Longjing tea?", "question", "web", "low", []),
    ("Invoice shows the wrong VAT rate", "billing", "email", "normal", ["invoice"]),
    ("Kettle stopped heating after a week", "repair", "phone", "high", ["warranty"]),
    ("I would like to return two boxes", "return", "chat", "normal", []),
    ("Order still not delivered", "complaint", "phone", "urgent", ["delivery"]),
]


def _count(session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def _by_name(session, table, name: str):
    return session.execute(select(table.c.id).where(table.c.name == name)).scalar()


def seed(rt) -> None:
    """Load the demo data (idempotent)."""
    ctx = rt.extras["support"]
    with rt.db.session() as session:
        shanghai = _by_name(session, t.business_calendars, "China office (Shanghai)")
        berlin = _by_name(session, t.business_calendars, "Germany office (Berlin)")
        group = _by_name(session, t.agent_groups, "Customer Care")
        policies = _count(session, t.sla_policies)
    if shanghai is None:
        with rt.uow() as uow:
            shanghai = configuration.create_calendar(
                uow,
                ctx,
                {
                    "name": "China office (Shanghai)",
                    "description": "Mon-Fri 09:00-18:00 with a lunch break; CN public holidays "
                    "and official make-up working days",
                    "timezone": "Asia/Shanghai",
                    "hours": SPLIT_SHIFT,
                    "holiday_country": "CN",
                    "customer_countries": ["CN", "HK", "TW", "SG", "JP"],
                    "is_default": True,
                },
            ).id
            uow.commit()
    if berlin is None:
        with rt.uow() as uow:
            berlin = configuration.create_calendar(
                uow,
                ctx,
                {
                    "name": "Germany office (Berlin)",
                    "description": "Mon-Fri 09:00-18:00; public holidays of Berlin",
                    "timezone": "Europe/Berlin",
                    "hours": WEEKDAYS_9_18,
                    "holiday_country": "DE",
                    "holiday_subdivision": "BE",
                    "customer_countries": ["DE", "AT", "CH", "SE", "US"],
                    "custom_days": [
                        {"date": "2026-12-24", "open": False, "name": "Christmas Eve"},
                        {"date": "2026-12-31", "open": False, "name": "New Year's Eve"},
                    ],
                },
            ).id
            uow.commit()
    if not policies:
        for data in (
            {
                "name": "Urgent issues",
                "position": 10,
                "conditions": {"priorities": ["urgent"]},
                "first_response_minutes": 30,
                "next_response_minutes": 60,
                "resolution_minutes": 240,
                "warning_percent": 75,
            },
            {
                "name": "VIP complaints",
                "position": 20,
                "conditions": {"categories": ["complaint"], "customer_tags": ["vip"]},
                "first_response_minutes": 60,
                "next_response_minutes": 120,
                "resolution_minutes": 960,
                "low_score_action": "complaint",
            },
            {
                "name": "Complaints",
                "position": 30,
                "conditions": {"categories": ["complaint"]},
                "first_response_minutes": 120,
                "next_response_minutes": 240,
                "resolution_minutes": 1440,
            },
            {
                "name": "Standard",
                "position": 100,
                "conditions": {},
                "first_response_minutes": 240,
                "next_response_minutes": 480,
                "resolution_minutes": 2400,
                "survey_kind": "nps",
            },
        ):
            with rt.uow() as uow:
                configuration.create_policy(uow, ctx, data)
                uow.commit()
    if group is None:
        with rt.uow() as uow:
            group = configuration.create_group(
                uow,
                ctx,
                {
                    "name": "Customer Care",
                    "description": "First-line after-sales team (round-robin)",
                    "round_robin": True,
                    "is_default": True,
                    "members": [
                        {"agent_id": a, "name": n, "email": e, "available": True}
                        for a, n, e in AGENTS
                    ],
                },
            ).id
            uow.commit()
    with rt.db.session() as session:
        existing_tickets = _count(session, t.tickets)
        customers = list(
            session.execute(
                select(t.customers.c.id)
                .where(t.customers.c.status == "active")
                .order_by(t.customers.c.name)
                .limit(len(TICKETS))
            ).scalars()
        )
    if existing_tickets:
        print("support: demo data already present")
        return
    if not customers:
        print(
            "support: calendars, SLA policies and the Customer Care group loaded; no customers "
            "replicated yet, so no demo tickets (run seed-demo again once customers arrived)"
        )
        return
    made = 0
    for i, (subject, category, channel, priority, tags) in enumerate(TICKETS):
        with rt.uow() as uow:
            ticket = tickets.open_ticket(
                uow,
                ctx,
                DEMO_ACTOR,
                {
                    "customer_id": customers[i % len(customers)],
                    "subject": subject,
                    "description": f"{subject}. Please help.",
                    "category": category,
                    "channel": channel,
                    "priority": priority,
                    "tags": tags,
                    "group_id": group,
                },
            )
            uow.commit()
        made += 1
        if i % 3 == 1:
            with rt.uow() as uow:
                tickets.reply(
                    uow,
                    ctx,
                    DEMO_ACTOR,
                    ticket.id,
                    "Thank you for reaching out. We are looking into it.",
                )
                uow.commit()
    print(f"support: demo data loaded ({made} tickets, 2 calendars, SLA policies, 1 group)")
