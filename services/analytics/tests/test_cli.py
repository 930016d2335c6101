"""The operator commands: rebuild (with progress), score, archive status."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from analytics_service.entrypoints.cli import cli
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.revenue import report

pytestmark = pytest.mark.integration


def run(rt, *args, input_text=None):
    env = {
        "MMS_ANALYTICS_DATABASE_URL": rt.db.url,
        "MMS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1//",
    }
    return CliRunner().invoke(cli, list(args), env=env, input=input_text)


def totals(rt):
    with rt.db.session() as session:
        query = ReportQuery(start=date(2025, 1, 1), end=date(2026, 12, 31), dimension="channel")
        return report(session, query, "EUR").rows


def test_rebuild_replays_the_archive_with_progress(rt, load, events):
    count = load(events.workload(orders=30))
    before = totals(rt)
    refused = run(rt, "rebuild", input_text="n\n")
    assert refused.exit_code == 1
    assert "Aborted" in refused.output
    assert totals(rt) == before
    result = run(rt, "rebuild", "--yes", "--batch-size", "40", "--no-score")
    assert result.exit_code == 0, result.output
    assert f"replayed {count} events in {-(-count // 40)} batches" in result.output
    assert "replaying" in result.output  # the progress bar
    assert totals(rt) == before


def test_score_and_archive_status(rt, load, events):
    load(events.workload(orders=30))
    result = run(rt, "score", "--as-of", "2026-01-15")
    assert result.exit_code == 0, result.output
    assert "as of 2026-01-15" in result.output
    assert "published" in result.output
    assert run(rt, "score", "--as-of", "yesterday").exit_code == 2
    status = run(rt, "archive", "status")
    assert status.exit_code == 0
    body = json.loads(status.output)
    assert body["events"] > 100
    assert body["types"]["sales.order.placed"]["events"] >= 30
