"""Fixtures for the scaling proofs: a Suite of real processes on the test broker, with one fresh
database per service on the backend under test (SQLite or PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from servicekit.testing.processes import Suite, SuiteKeys

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def make_suite(tmp_path, amqp_url, databases):
    """``make_suite(*services, gateway=False)``: a Suite whose services (and the gateway) each get
    an empty database on the backend of this test run; processes stop when the test ends."""
    made: list[Suite] = []

    def make(*services: str, gateway: bool = False, extra_env: dict | None = None) -> Suite:
        names = [*services, *(["gateway"] if gateway else [])]
        urls = {name: databases.empty_url() for name in names}
        suite = Suite(
            tmp_path / f"suite-{len(made)}",
            amqp_url,
            keys=SuiteKeys.generate(),
            database_urls=urls,
            extra_env=extra_env,
        )
        made.append(suite)
        return suite

    try:
        yield make
    finally:
        for suite in reversed(made):
            suite.stop_all()
