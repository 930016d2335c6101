"""seed-demo: loads its data once, and the spring campaign really goes out and completes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from campaign_service.adapters import tables as t
from campaign_service.entrypoints.demo import PREFERRED_SEGMENT, seed
from servicekit.testing import wait_for

pytestmark = pytest.mark.integration


def test_seed_demo_sends_completes_and_is_idempotent(rt, feed, send_job, smtp_sink, capsys):
    segment = feed.segment(PREFERRED_SEGMENT)
    feed.customer(email="mei.lin@example.com", segments=(segment,))
    feed.customer(email="wei.zhang@example.com", first_name="Wei", segments=(segment,))
    seeding = threading.Thread(target=seed, args=(rt,), kwargs={"wait_seconds": 15})
    seeding.start()

    def sent_and_done():
        send_job()
        return not seeding.is_alive()

    wait_for(sent_and_done, timeout=60, interval=0.2, message="the demo seed to finish")
    seeding.join()
    with rt.db.session() as session:
        campaigns = dict(session.execute(select(t.campaigns.c.name, t.campaigns.c.status)).all())
        surveys = session.execute(select(t.surveys.c.status)).scalars().all()
        competitors = session.execute(select(t.competitors.c.name)).scalars().all()
    assert campaigns == {"Spring tea launch": "completed", "Autumn catalogue": "draft"}
    assert surveys == ["open"] and competitors == ["Jade Leaf Teas"]
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "mei.lin@example.com",
        "wei.zhang@example.com",
    ]
    assert "SPRING10" in smtp_sink.messages[0].body("html")
    capsys.readouterr()
    seed(rt, wait_seconds=1)
    assert "already present" in capsys.readouterr().out
    with rt.db.session() as session:
        assert len(session.execute(select(t.campaigns.c.id)).all()) == 2
