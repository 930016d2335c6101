"""Demo data for ``make run`` (``campaign-service seed-demo``; a second run changes nothing).

Templates, a competitor, an open survey, a coupon, a draft campaign and an email campaign with
the coupon that is launched to the customer service's demo segment, sent by the worker to the
local mail sink and completed once its send finished (when the segment has not reached the
replica in time, that campaign stays a draft and the output says so).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from campaign_service.adapters import tables as t
from campaign_service.service import campaigns as campaign_use
from campaign_service.service import competitors, costs, coupons, surveys, templates
from servicekit.identity import Identity

DEMO_ACTOR = Identity(
    subject="system:demo", kind="system", roles=frozenset({"admin"}), name="Demo loader"
)
PREFERRED_SEGMENT = "Email-reachable customers in China"

SPRING_HTML = """<html><body>
<p>Dear {{ first_name }},</p>
<p>The first Longjing of the spring harvest has arrived at {{ company }}'s favourite tea house.
Use code <strong>{{ coupon_code }}</strong> for 10% off your first order this season.</p>
<p><a href="https://shop.example.com/tea/longjing?utm_campaign=spring-tea-launch">See the new
harvest</a></p>
<p><a href="https://shop.example.com/tea?utm_campaign=spring-tea-launch">All teas</a></p>
</body></html>"""


def _segment_id(rt, wait_seconds: float) -> str | None:
    """The customer service's demo segment once it reached the replica (any active one late)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with rt.db.session() as session:
            rows = session.execute(
                select(t.segments.c.id, t.segments.c.name).where(t.segments.c.status == "active")
            ).all()
            populated = set(
                session.execute(
                    select(t.segment_members.c.segment_id)
                    .where(t.segment_members.c.member.is_(True))
                    .distinct()
                ).scalars()
            )
        # The customer service evaluates its dynamic segments in the background: wait for
        # members, not just the segment.
        preferred = [r.id for r in rows if r.name == PREFERRED_SEGMENT and r.id in populated]
        if preferred:
            return preferred[0]
        if time.monotonic() > deadline:
            named = [r.id for r in rows if r.name == PREFERRED_SEGMENT]
            filled = [r.id for r in rows if r.id in populated]
            choice = named or filled or [r.id for r in rows]
            return choice[0] if choice else None
        time.sleep(1)


def _wait_for_send(rt, campaign_id: str, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        with rt.db.session() as session:
            phase = session.execute(
                select(t.sends.c.phase).where(t.sends.c.campaign_id == campaign_id)
            ).scalar()
        if phase == "finished":
            return True
        time.sleep(1)
    return False


def seed(rt, *, wait_seconds: float = 60.0) -> None:
    with rt.db.session() as session:
        if session.execute(select(func.count()).select_from(t.campaigns)).scalar_one():
            print("campaign: demo data already present")
            return
    cfg = rt.extras["campaign"]
    base = rt.settings.base_currency
    with rt.uow() as uow:
        spring = templates.create_template(
            uow,
            DEMO_ACTOR,
            {
                "name": "Spring harvest announcement",
                "subject": "{{ first_name }}, the spring Longjing is here",
                "preheader": "10% off with {{ coupon_code }}",
                "html": SPRING_HTML,
                "from_name": "Lin Tea House",
                "defaults": {"first_name": "tea lover", "company": "your company"},
            },
        )
    with rt.uow() as uow:
        autumn = templates.create_template(
            uow,
            DEMO_ACTOR,
            {
                "name": "Autumn catalogue",
                "subject": "Our autumn catalogue, {{ first_name }}",
                "text": "Hello {{ first_name }},\n\nthe autumn catalogue is ready: "
                "https://shop.example.com/catalogue/autumn\n\nUnsubscribe: {{ unsubscribe_url }}\n",
                "defaults": {"first_name": "there"},
            },
        )
    with rt.uow() as uow:
        templates.create_template(
            uow,
            DEMO_ACTOR,
            {
                "name": "Survey invitation",
                "subject": "Two minutes for your opinion, {{ first_name }}?",
                "text": "Hello {{ first_name }},\n\nhelp us choose next year's teas: "
                "{{ survey_url }}\n\nThank you!\n",
                "defaults": {"first_name": "there"},
            },
        )
    with rt.uow() as uow:
        competitors.create_competitor(
            uow,
            DEMO_ACTOR,
            {
                "name": "Jade Leaf Teas",
                "website": "https://jadeleaf.example.com",
                "description": "Online premium tea retailer, strong in Europe.",
                "products": [
                    {
                        "name": "Longjing 250g",
                        "category": "Tea",
                        "price_points": [
                            {"label": "list", "price": {"amount": "26.90", "currency": "EUR"}},
                            {"label": "promo", "price": {"amount": "22.90", "currency": "EUR"}},
                        ],
                    }
                ],
                "strengths": ["fast delivery", "subscription offer"],
                "weaknesses": ["narrow range", "no B2B terms"],
                "notes": "Seen discounting heavily in March.",
            },
        )
    with rt.uow() as uow:
        survey = surveys.create_survey(
            uow,
            DEMO_ACTOR,
            {
                "name": "Tea buyers 2026",
                "description": "What retail buyers look for in premium tea",
                "intro": "Five quick questions; your answers shape next year's range.",
                "thank_you": "Thank you! Your answers help us choose next year's teas.",
                "questions": [
                    {
                        "type": "nps",
                        "text": "How likely are you to recommend us?",
                        "required": True,
                        "min_label": "Not at all",
                        "max_label": "Extremely",
                    },
                    {
                        "type": "single_choice",
                        "text": "How often do you order?",
                        "options": [
                            {"label": "Monthly"},
                            {"label": "Quarterly"},
                            {"label": "Yearly"},
                        ],
                    },
                    {
                        "type": "multiple_choice",
                        "text": "What matters most to you?",
                        "options": [
                            {"label": "Price"},
                            {"label": "Taste"},
                            {"label": "Origin"},
                            {"label": "Packaging"},
                        ],
                    },
                    {
                        "type": "scale",
                        "text": "How satisfied are you with delivery times?",
                        "scale_min": 1,
                        "scale_max": 5,
                        "min_label": "Poor",
                        "max_label": "Excellent",
                    },
                    {"type": "text", "text": "What should we add to the range?"},
                ],
            },
        )
    with rt.uow() as uow:
        surveys.open_survey(uow, survey.id)
    with rt.uow() as uow:
        coupon = coupons.create_coupon(
            uow,
            DEMO_ACTOR,
            {
                "name": "Spring 10%",
                "mode": "shared",
                "code": "SPRING10",
                "discount_kind": "percent",
                "value": Decimal("10"),
                "valid_from": datetime.now(UTC) - timedelta(days=1),
                "valid_until": datetime.now(UTC) + timedelta(days=60),
                "max_redemptions": 1000,
                "max_per_customer": 1,
                "min_order": {"amount": Decimal("20.00"), "currency": base},
            },
        )
    now = datetime.now(UTC)
    with rt.uow() as uow:
        campaign_use.create_campaign(
            uow,
            DEMO_ACTOR,
            {
                "name": "Autumn catalogue",
                "channel": "email",
                "objective": "retention",
                "budget": {"amount": Decimal("2000.00"), "currency": base},
                "planned_start": now + timedelta(days=150),
                "planned_end": now + timedelta(days=180),
                "variants": [{"name": "A", "split_percent": 100, "template_id": autumn.id}],
            },
            base_currency=base,
        )
    segment_id = _segment_id(rt, wait_seconds)
    with rt.uow() as uow:
        spring_campaign = campaign_use.create_campaign(
            uow,
            DEMO_ACTOR,
            {
                "name": "Spring tea launch",
                "channel": "email",
                "objective": "conversion",
                "description": "New harvest Longjing for retail buyers",
                "budget": {"amount": Decimal("5000.00"), "currency": base},
                "planned_start": now - timedelta(days=1),
                "planned_end": now + timedelta(days=30),
                "segment_ids": [segment_id] if segment_id else [],
                "utm_campaign": "spring-tea-launch",
                "coupon_id": coupon.id,
                "variants": [{"name": "A", "split_percent": 100, "template_id": spring.id}],
            },
            base_currency=base,
        )
    for item in (
        {
            "category": "media",
            "description": "WeChat moments ads, week 1",
            "amount": {"amount": Decimal("8000.00"), "currency": "CNY"},
            "fx_rate": cfg.fx_rates.get("CNY") or Decimal("0.1285"),
            "incurred_on": date.today(),
        },
        {
            "category": "production",
            "description": "Photo shoot, tea garden",
            "amount": {"amount": Decimal("1200.00"), "currency": base},
            "incurred_on": date.today(),
        },
    ):
        with rt.uow() as uow:
            costs.record_cost(uow, DEMO_ACTOR, spring_campaign.id, item, cfg=cfg)
    if segment_id is None:
        print(
            "campaign: demo data loaded; 'Spring tea launch' stays a draft (no segment reached "
            "the replica in time; give it a segment and launch it from the API)"
        )
        return
    with rt.uow() as uow:
        campaign_use.launch(uow, DEMO_ACTOR, spring_campaign.id)
    if _wait_for_send(rt, spring_campaign.id, wait_seconds * 2):
        with rt.uow() as uow:
            campaign_use.complete(uow, DEMO_ACTOR, spring_campaign.id)
        print("campaign: demo data loaded (the spring campaign was sent to the mail sink)")
    else:
        print("campaign: demo data loaded; the spring campaign is still sending (worker busy)")
