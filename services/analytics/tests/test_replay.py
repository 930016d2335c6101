"""Replay equivalence: every report is the same whether events came in order, shuffled with
duplicates, or were replayed from the archive into emptied projections."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.api.rendering import report_body
from analytics_service.domain.errors import InvalidQuery, NotFound
from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.service.rebuild import rebuild
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.customers import customer_scores
from analytics_service.service.reports.registry import REPORTS
from analytics_service.service.scoring import recompute_scores

pytestmark = pytest.mark.integration
TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def every_report(rt) -> str:
    """All reports in every dimension, and the scores of every customer, as one JSON text."""
    recompute_scores(rt.db, rt.uow, "EUR", as_of=TODAY, now=NOW)
    found = {}
    with rt.db.session() as session:
        for spec in REPORTS:
            for dimension in spec.dimensions:
                options = {o.name: o.default for o in spec.options}
                options.update(today=TODAY, as_of=TODAY)
                query = ReportQuery(
                    start=date(2025, 1, 1) if spec.name != "forecast" else date(2024, 12, 1),
                    end=date(2026, 3, 31) if spec.name != "forecast" else date(2025, 12, 31),
                    granularity=spec.default_granularity or "month",
                    dimension=dimension,
                    options=options,
                )
                try:
                    body = report_body(spec.run(session, query, "EUR"))
                except InvalidQuery as exc:
                    body = {"error": str(exc)}
                found[f"{spec.name}/{dimension}"] = body
        customers = sorted(
            set(session.execute(select(t.customers.c.customer_id)).scalars())
            | set(session.execute(select(t.customer_sales.c.customer_id)).scalars())
        )
        for customer_id in customers:
            try:
                found[f"scores/{customer_id}"] = customer_scores(session, customer_id, "EUR")
            except NotFound as exc:
                found[f"scores/{customer_id}"] = str(exc)
    return json.dumps(found, sort_keys=True, default=str)


def test_shuffled_duplicated_and_rebuilt_reports_are_identical(new_runtime, deliver_to, events):
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


def test_replaying_onto_live_projections_changes_nothing(rt, load, events):
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
