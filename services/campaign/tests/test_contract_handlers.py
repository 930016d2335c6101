"""The contract harness: every golden sample we consume goes through our handler.

Each sample must be handled without error, a second delivery of the same event must be absorbed
by the inbox, and the effect must be visible in the replica it feeds. Every contract we publish
must have been produced by our own code somewhere in these tests (checked against the outbox of
a run that exercises them in test_integration_*.py; here: that the mapping covers every type).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaign_service.adapters import tables as t
from campaign_service.integration.incoming import build_registry
from event_contracts import all_contracts, golden_samples
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.uow import DuplicateEvent

pytestmark = [pytest.mark.integration, pytest.mark.contract]

CONSUMED = sorted(build_registry().handled())
SAMPLES = {(c.event_type, c.version): sample for c, sample in golden_samples()}
# Replicas fed by customer events come first so later samples find what they refer to.
ORDER = [
    "customer.created",
    "customer.updated",
    "customer.consent.changed",
    "customer.segment.created",
    "customer.segment.updated",
    "customer.segment.member_added",
    "customer.segment.member_removed",
    "sales.fx_rate.set",
    "sales.order.placed",
    "sales.order.paid",
    "sales.order.returned",
    "sales.order.cancelled",
    "sales.coupon.redeemed",
    "sales.coupon.released",
    "customer.segment.archived",
    "customer.merged",
    "customer.erased",
]


def test_every_consumed_event_has_a_golden_sample_and_a_place_in_the_harness():
    assert CONSUMED, "the service consumes events"
    for key in CONSUMED:
        assert key in SAMPLES, f"no golden sample for {key}"
    assert sorted(ORDER) == sorted(event_type for event_type, _ in CONSUMED)


def _every_domain_event():
    """One of each domain event, built from real aggregates."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from campaign_service.domain import events as ev
    from campaign_service.domain.campaigns import Campaign
    from campaign_service.domain.competitors import Competitor
    from campaign_service.domain.costs import Cost
    from campaign_service.domain.coupons import Coupon
    from campaign_service.domain.money import Money
    from campaign_service.domain.surveys import Survey
    from campaign_service.service.touchpoints import Touchpoint

    now = datetime.now(UTC)
    campaign = Campaign.create(
        base_currency="EUR",
        created_by="user:x",
        name="C",
        channel="email",
        budget=Money(Decimal("10"), "EUR"),
        variants=[{"name": "A", "split_percent": 50}, {"name": "B", "split_percent": 50}],
        ab_test={"winner_metric": "clicks", "test_share_percent": 20, "test_duration_hours": 4},
    )
    variant = campaign.variants[0].id
    ref = ev.MessageRef(
        "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a",
        campaign.id,
        variant,
        "7b0e6a52-3f7d-4c1e-9a61-2f4f1f0f6d11",
    )
    cost = Cost.create(
        campaign_id=campaign.id,
        category="media",
        amount=Money(Decimal("100"), "USD"),
        rate=Decimal("0.92"),
        base_currency="EUR",
        incurred_on=date.today(),
        description=None,
        created_by=None,
    )
    coupon = Coupon.create(name="U", mode="unique", discount_kind="percent", value=Decimal("5"))
    survey = Survey.create(name="S", questions=[{"type": "nps", "text": "?"}])
    competitor = Competitor.create(name="Rival")
    touchpoint = Touchpoint(
        id="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        kind="visit",
        occurred_at=now,
        recorded_at=now,
        anonymous_id="anon-1",
        source="wechat",
    )
    spend = Money(Decimal("120"), "EUR")
    yield from (
        ev.CampaignChanged(campaign, verb)
        for verb in (
            "created",
            "updated",
            "scheduled",
            "launched",
            "paused",
            "resumed",
            "completed",
            "cancelled",
        )
    )
    yield ev.WinnerSelected(
        campaign,
        variant,
        "clicks",
        "manual",
        ({"variant_id": variant, "delivered": 3, "value": Decimal("0.5")},),
        now,
    )
    yield ev.AudienceResolved(campaign.id, 10, 8, {variant: 2}, {"no_email": 1}, now)
    yield ev.SendFinished(
        campaign.id,
        {
            "sent": 1,
            "delivered": 1,
            "bounced_hard": 0,
            "bounced_soft": 0,
            "skipped": 0,
            "in_doubt": 0,
        },
        now,
    )
    yield ev.MessageSent(ref, now)
    yield ev.MessageDelivered(ref, now, 1, 250)
    yield ev.MessageBounced(ref, "hard", 550, "no such user", 1, now)
    yield ev.MessageOpened(ref, now, True, True, "known_proxy:google_image_proxy")
    yield ev.MessageClicked(ref, now, "0123456789abcdef", "https://x.example", True, False, None)
    yield ev.RecipientUnsubscribed(ref.customer_id, campaign.id, ref.message_id, "one_click", now)
    yield ev.CostRecorded(cost, spend, campaign.budget)
    yield ev.CostRemoved(cost, spend, now)
    yield ev.BudgetExceeded(campaign.id, campaign.budget, spend, cost.id, now)
    yield ev.TouchpointRecorded(touchpoint)
    yield ev.VisitorLinked("anon-1", ref.customer_id, 2, now)
    yield ev.AttributionRecorded(
        "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
        ref.customer_id,
        "attributed",
        "touchpoint",
        Money(Decimal("9"), "EUR"),
        30,
        (
            {
                "campaign_id": campaign.id,
                "model": "linear",
                "share": "1",
                "revenue": Money(Decimal("9"), "EUR"),
                "variant_id": None,
            },
        ),
        now,
        now,
        1,
    )
    yield ev.CouponChanged(coupon, True)
    yield ev.CouponChanged(coupon, False)
    yield ev.CouponCodesIssued(coupon.id, 1, ("ABCD-EFGH-JKMN",))
    yield ev.SurveyPublished(survey)
    yield ev.SurveyAnswered(
        {
            "id": "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70",
            "survey_id": survey.id,
            "campaign_id": None,
            "message_id": None,
            "customer_id": None,
            "answered_at": now,
            "answers": [
                {"question_id": "q1", "type": "nps", "option_ids": None, "number": 9, "text": None}
            ],
        }
    )
    yield ev.CompetitorChanged(competitor, True)
    yield ev.CompetitorChanged(competitor, False)


def test_every_published_contract_is_produced_and_valid():
    """Each domain event renders to a contract event that its schema accepts (as JSON)."""
    import json

    from campaign_service.integration.outgoing import to_integration
    from event_contracts import validate_event
    from servicekit.events import Envelope as Env

    produced = set()
    for domain_event in _every_domain_event():
        outgoing = to_integration(domain_event)
        envelope = Env.new(outgoing, "campaign")
        validate_event(envelope.event_type, 1, json.loads(envelope.to_json())["data"])
        produced.add(envelope.event_type)
    published = {c.event_type for c in all_contracts() if c.producer == "campaign"}
    assert produced == published


def _deliver(rt, event_type: str) -> Envelope:
    sample = SAMPLES[(event_type, 1)]
    envelope = Envelope.from_dict(sample)
    handler = rt.registry.resolve(envelope.event_type, envelope.version)
    handle_envelope("campaign", envelope, handler, rt.uow)
    with pytest.raises(DuplicateEvent):
        handle_envelope("campaign", envelope, handler, rt.uow)
    return envelope


def _count(rt, table, *where) -> int:
    with rt.db.session() as session:
        return session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_golden_samples_through_the_handlers(rt):
    customer = SAMPLES[("customer.created", 1)]["data"]["customer_id"]
    segment = SAMPLES[("customer.segment.created", 1)]["data"]["segment_id"]
    order = SAMPLES[("sales.order.paid", 1)]["data"]["order_id"]
    for event_type in ORDER:
        _deliver(rt, event_type)
        with rt.db.session() as session:
            if event_type == "customer.updated":
                row = session.execute(select(t.customers).where(t.customers.c.id == customer)).one()
                assert (row.email, row.revision, row.first_name) == (
                    "mei.lin@example.com",
                    2,
                    "Mei",
                )
            elif event_type == "customer.consent.changed":
                consent = session.execute(select(t.consents.c.status)).scalar_one()
                assert consent == "granted"
            elif event_type == "customer.segment.member_added":
                assert _count(rt, t.segment_members, t.segment_members.c.member.is_(True)) == 1
            elif event_type == "customer.segment.member_removed":
                assert _count(rt, t.segment_members, t.segment_members.c.member.is_(True)) == 0
            elif event_type == "sales.fx_rate.set":
                assert session.execute(select(t.fx_rates.c.rate)).scalar_one() == "0.128500"
            elif event_type == "sales.order.placed":
                # utm "spring" names no campaign here: kept, credited to nobody.
                touchpoint = session.execute(select(t.touchpoints)).one()
                assert touchpoint.kind == "order" and touchpoint.campaign_id is None
            elif event_type == "sales.order.paid":
                row = session.execute(select(t.orders).where(t.orders.c.order_id == order)).one()
                assert row.status == "paid" and str(row.gross) == "52.4800"
            elif event_type == "sales.order.returned":
                assert _count(rt, t.order_returns) == 1
            elif event_type == "sales.order.cancelled":
                row = session.execute(select(t.orders).where(t.orders.c.order_id == order)).one()
                assert row.status == "cancelled"
            elif event_type == "sales.coupon.redeemed":
                assert _count(rt, t.redemptions) == 1
            elif event_type == "customer.segment.archived":
                status = session.execute(
                    select(t.segments.c.status).where(t.segments.c.id == segment)
                ).scalar_one()
                assert status == "archived"
            elif event_type == "customer.merged":
                merged = SAMPLES[("customer.merged", 1)]["data"]["merged_ids"][0]
                row = session.execute(select(t.customers).where(t.customers.c.id == merged)).one()
                assert row.status == "merged" and row.merged_into == customer
            elif event_type == "customer.erased":
                row = session.execute(select(t.customers).where(t.customers.c.id == customer)).one()
                assert row.status == "erased" and row.email is None and row.name is None
                assert _count(rt, t.touchpoints, t.touchpoints.c.customer_id == customer) == 0


def test_stale_and_out_of_order_replica_events(rt, feed):
    customer = feed.customer(email="new@example.com")  # revisions 1 (created) and 2 (consent)
    stale = {
        **SAMPLES[("customer.updated", 1)]["data"],
        "customer_id": customer,
        "primary_email": "old@example.com",
        "revision": 1,
    }
    feed.event("customer.updated", stale)
    feed.event(
        "customer.consent.changed",
        {
            "customer_id": customer,
            "channel": "email",
            "status": "withdrawn",
            "source": "old",
            "changed_at": "2026-01-01T00:00:00Z",
            "revision": 1,
        },
    )
    with rt.db.session() as session:
        assert (
            session.execute(
                select(t.customers.c.email).where(t.customers.c.id == customer)
            ).scalar_one()
            == "new@example.com"
        )
        assert (
            session.execute(
                select(t.consents.c.status).where(t.consents.c.customer_id == customer)
            ).scalar_one()
            == "granted"
        )
    segment = feed.segment()
    feed.member(segment, customer, added=False, at="2026-03-02T00:00:00Z")
    feed.member(segment, customer, added=True, at="2026-03-01T00:00:00Z")  # older: ignored
    assert _count(rt, t.segment_members, t.segment_members.c.member.is_(True)) == 0
