"""The scoring job: scores by hand, analytics.customer.scored through the outbox (only when the
published values change), no-purchase, erased and merged customers; the job on the broker."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from analytics_test_factories import at
from sqlalchemy import select

from analytics_service.adapters import tables as t
from analytics_service.service.scoring import recompute_scores
from event_contracts import validate_envelope, validate_event
from servicekit import tables as infrastructure
from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker

pytestmark = pytest.mark.integration
D = Decimal
A = "a0000000-0000-4000-8000-00000000000a"
B = "b0000000-0000-4000-8000-00000000000b"
C = "c0000000-0000-4000-8000-00000000000c"
P = "aaaaaaaa-0000-4000-8000-000000000001"
AS_OF = date(2026, 7, 1)
NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)


def purchases(events):
    """a: 3 purchases of 100 (1 Jan - 30 Jun), b: 1 of 50 (1 Mar), c: 2 of 250 (1 Feb, 1 May)."""
    plan = [
        (A, "2026-01-01", "100.00"),
        (A, "2026-03-15", "100.00"),
        (A, "2026-06-30", "100.00"),
        (B, "2026-03-01", "50.00"),
        (C, "2026-02-01", "250.00"),
        (C, "2026-05-01", "250.00"),
    ]
    out, placed = [], {}
    for n, (customer, day, amount) in enumerate(plan):
        order = events.placed(
            f"0e000000-0000-4000-8000-00000000000{n}", customer, at(day), [(P, "Tea", 1, amount)]
        )
        placed[(customer, day)] = order
        out += [order, events.paid(order, at(day, 11))]
    return out, placed


def published(rt) -> list[dict]:
    with rt.db.session() as session:
        rows = session.execute(
            select(infrastructure.outbox.c.payload)
            .where(infrastructure.outbox.c.event_type == "analytics.customer.scored")
            .order_by(infrastructure.outbox.c.id)
        ).scalars()
        return [json.loads(r) for r in rows]


def test_scores_by_hand_and_published_through_the_outbox(rt, feed, events):
    stream, _ = purchases(events)
    feed(stream)
    result = recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    assert (result.scored, result.published) == (3, 3)
    with rt.db.session() as session:
        rows = {r.customer_id: r for r in session.execute(select(t.customer_scores))}
    # the same three customers as the unit test, now from events
    assert (rows[A].score, rows[A].segment, rows[A].clv_predicted) == (
        "553",
        "champions",
        D("1071"),
    )
    assert (rows[B].score, rows[B].segment, rows[B].churn_risk) == ("111", "hibernating", D("0.43"))
    assert (rows[C].score, rows[C].segment) == ("335", "need_attention")
    events_out = {e["data"]["customer_id"]: e for e in published(rt)}
    assert set(events_out) == {A, B, C}
    for envelope in events_out.values():
        validate_envelope(envelope)
        validate_event("analytics.customer.scored", 1, envelope["data"])
        assert envelope["producer"] == "analytics"
    a = events_out[A]["data"]
    assert a["rfm"] == {
        "recency": 5,
        "frequency": 5,
        "monetary": 3,
        "score": "553",
        "segment": "champions",
    }
    assert a["clv_historic"] == {"amount": "300.00", "currency": "EUR"}
    assert a["clv_predicted"] == {"amount": "1071.00", "currency": "EUR"}
    assert a["churn_risk"] == 0.05
    assert a["computed_at"] == "2026-07-01T03:00:00Z"


def test_only_changed_scores_are_published_again(rt, feed, events):
    stream, placed = purchases(events)
    feed(stream)
    recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    again = recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    assert again.published == 0
    assert len(published(rt)) == 3
    # b's only order is cancelled: b is told it has no purchases; a and c re-rank
    feed([events.cancelled(placed[(B, "2026-03-01")], at("2026-07-01", 1), was_paid=True)])
    third = recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    latest = {e["data"]["customer_id"]: e["data"] for e in published(rt)[3:]}
    assert latest[B]["rfm"]["segment"] == "no_purchases"
    assert latest[B]["clv_historic"]["amount"] == "0.00"
    assert third.published == len(latest)


def test_erased_and_merged_customers_are_no_longer_scored(rt, feed, events):
    stream, _ = purchases(events)
    feed(stream)
    recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    feed(
        [
            events.make("customer.erased", at("2026-07-01"), customer_id=B, revision=3),
            events.make(
                "customer.merged", at("2026-07-01"), survivor_id=A, merged_ids=[C], revision=4
            ),
        ]
    )
    result = recompute_scores(rt.db, rt.uow, "EUR", as_of=AS_OF, now=NOW)
    assert result.removed == 2
    with rt.db.session() as session:
        rows = {r.customer_id: r for r in session.execute(select(t.customer_scores))}
    assert set(rows) == {A}
    # a now carries c's two purchases too
    assert (rows[A].frequency, rows[A].monetary) == (5, D("800.00"))


def test_the_worker_runs_the_job_and_the_relay_publishes(
    rt, feed, events, amqp_url, broker, amqp_vhost
):
    from analytics_service.entrypoints.runtime import jobs_for
    from servicekit.amqp import connect

    stream, _ = purchases(events)
    feed(stream)
    rt.settings = replace(rt.settings, amqp_url=amqp_url)
    rt.jobs = jobs_for(rt)
    with connect(amqp_url) as conn:
        channel = conn.default_channel
        channel.exchange_declare("mms.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare("customer-probe", durable=True, auto_delete=False)
        channel.queue_bind("customer-probe", "mms.events", "analytics.customer.scored")
    with running_worker(rt, jobs=True):
        wait_for(
            lambda: broker.depth(amqp_vhost[0], "customer-probe") >= 3,
            timeout=60,
            message="three analytics.customer.scored events on the broker",
        )
    with connect(amqp_url) as conn:
        message = conn.default_channel.basic_get("customer-probe", no_ack=True)
    body = json.loads(message.body)
    assert message.properties["type"] == body["event_type"] == "analytics.customer.scored"
    validate_event("analytics.customer.scored", 1, body["data"])


def test_the_job_skips_when_nothing_changed(rt, feed, events):
    from analytics_service.entrypoints.runtime import jobs_for

    stream, placed = purchases(events)
    feed(stream)
    (job,) = jobs_for(rt)
    job.run()
    with rt.db.session() as session:
        first = dict(
            session.execute(
                select(t.customer_scores.c.customer_id, t.customer_scores.c.computed_at)
            ).all()
        )
    job.run()  # no purchase changed: no rescoring at all
    with rt.db.session() as session:
        again = dict(
            session.execute(
                select(t.customer_scores.c.customer_id, t.customer_scores.c.computed_at)
            ).all()
        )
    assert again == first
    feed([events.cancelled(placed[(B, "2026-03-01")], at("2026-07-01", 1), was_paid=True)])
    job.run()
    assert published(rt)[-1]["data"]["rfm"]["segment"] == "no_purchases"
