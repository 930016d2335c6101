"""Events from the broker into the reports: the worker's consumer with the real RabbitMQ."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.revenue import report
from servicekit.testing import wait_for
from servicekit.testing.events import publish
from servicekit.testing.workers import running_worker

pytestmark = pytest.mark.integration


def test_events_on_the_broker_reach_the_reports(rt, events, amqp_url, broker, amqp_vhost):
    rt.settings = replace(rt.settings, amqp_url=amqp_url, retry_delays=(0.2, 0.4))
    stream = [e for e in events.workload(orders=25) if CATALOGUE.handles(e.event_type, e.version)]
    bodies = [e.to_dict() for e in stream]
    shuffled = bodies + bodies[:20]  # redelivered duplicates
    random.Random(3).shuffle(shuffled)
    with running_worker(rt, relay=False) as worker:
        wait_for(lambda: worker.consumer.connected, message="consumer connected")
        publish(amqp_url, *shuffled)

        def archived():
            with rt.db.session() as session:
                return session.execute(select(func.count()).select_from(t.event_archive)).scalar()

        wait_for(lambda: archived() == len(bodies), timeout=90, message="every event archived")
        wait_for(
            lambda: broker.depth(amqp_vhost[0], "analytics.events") == 0,
            message="queue drained",
        )
    assert broker.depth(amqp_vhost[0], "analytics.events.dead") == 0
    query = ReportQuery(start=date(2025, 1, 1), end=date(2026, 12, 31))
    with rt.db.session() as session:
        totals = report(session, query, "EUR").totals
    placed = sum(1 for e in stream if e.event_type == "sales.order.placed")
    cancelled = sum(1 for e in stream if e.event_type == "sales.order.cancelled")
    assert totals["orders"] + totals["cancelled"] == placed
    assert totals["cancelled"] == cancelled
