"""Replay equivalence: every report is the same whether events came in order, shuffled with
duplicates, or were replayed from the archive into emptied projections."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.service.rebuild import rebuild

pytestmark = pytest.mark.integration


def test_shuffled_duplicated_and_rebuilt_reports_are_identical(
    new_runtime, deliver_to, events, every_report
):
    stream = events.workload(orders=60)
    in_order = new_runtime()
    deliver_to(in_order, stream)
    expected = every_report(in_order)
    assert '"net": "0.00"' not in expected.split('"revenue/total"')[1][:200]  # real figures

    rng = random.Random(11)
    messy = stream + rng.sample(stream, len(stream) // 4)
    rng.shuffle(messy)
    shuffled = new_runtime()
    deliver_to(shuffled, messy)
    assert every_report(shuffled) == expected

    with shuffled.db.session() as session:
        archived = session.execute(select(func.count()).select_from(t.event_archive)).scalar()
    handled = {e.event_id for e in stream if CATALOGUE.handles(e.event_type, e.version)}
    assert archived == len(handled)
    progress = []
    result = rebuild(shuffled.db, shuffled.uow, batch_size=37, progress=progress.append)
    assert result.events == archived
    assert sum(progress) == archived and len(progress) == result.batches > 1
    assert every_report(shuffled) == expected


def test_replaying_onto_live_projections_changes_nothing(rt, load, events, every_report):
    """A rebuild may overlap the live consumer: applying archived events again is harmless."""
    from analytics_service.adapters.sql import Tx
    from analytics_service.service.rebuild import archived_batches

    load(events.workload(orders=30))
    before = every_report(rt)
    for batch in archived_batches(rt.db, 50):
        with rt.uow() as uow:
            CATALOGUE.apply(Tx(uow.session), batch)
            uow.commit()
    assert every_report(rt) == before
