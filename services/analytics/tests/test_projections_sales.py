"""Orders into revenue, products, customers and cohorts, against numbers worked out by hand;
the same numbers whatever order the events arrive in and however often."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

import pytest
from analytics_test_factories import at
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.customers import customer_scores
from analytics_service.service.reports.revenue import report as revenue_report

pytestmark = pytest.mark.integration
D = Decimal

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"
C3 = "33333333-3333-4333-8333-333333333333"
P1 = "aaaaaaaa-0000-4000-8000-000000000001"
P2 = "aaaaaaaa-0000-4000-8000-000000000002"
ORDER = [f"bbbbbbbb-0000-4000-8000-00000000000{i}" for i in range(10)]


def order_events(events):
    """Four orders over January and February 2026 (see the expectations in the tests).

    O1 C1 10 Jan online: P1 Tea 2 x 20 = 40 + P2 Cups 1 x 60 = 60 -> 100, paid
    O2 C1 20 Jan retail: P1 Tea 1 x 20 -> 20, paid, 5 returned on 1 Feb
    O3 C2  5 Feb online: P2 Cups 3 x 60 -> 180, placed only
    O4 C2 10 Feb online: P1 Tea 1 x 25 -> 25, paid, then cancelled
    """
    o1 = events.placed(
        ORDER[1], C1, at("2026-01-10"), [(P1, "Tea", 2, "40.00"), (P2, "Cups", 1, "60.00")]
    )
    o2 = events.placed(
        ORDER[2], C1, at("2026-01-20"), [(P1, "Tea", 1, "20.00")], channel="retail_store"
    )
    o3 = events.placed(ORDER[3], C2, at("2026-02-05"), [(P2, "Cups", 3, "180.00")])
    o4 = events.placed(ORDER[4], C2, at("2026-02-10"), [(P1, "Tea", 1, "25.00")])
    return [
        events.customer(C1, at("2026-01-01"), country="DE"),
        events.customer(C2, at("2026-01-01"), country="FR"),
        o1,
        events.paid(o1, at("2026-01-10", 11)),
        o2,
        events.paid(o2, at("2026-01-20", 11)),
        events.returned(o2, at("2026-02-01"), [(P1, "5.00")]),
        o3,
        o4,
        events.paid(o4, at("2026-02-10", 11)),
        events.cancelled(o4, at("2026-02-11"), was_paid=True),
    ]


def revenue(rt, dimension="total", granularity="month", **filters):
    query = ReportQuery(
        start=date(2026, 1, 1),
        end=date(2026, 2, 28),
        granularity=granularity,
        dimension=dimension,
        filters={k: tuple(v) for k, v in filters.items()},
    )
    with rt.db.session() as session:
        report = revenue_report(session, query, "EUR")
    return {(r["period_label"], r["label"]): r for r in report.rows}, report


def figures(row, *names):
    return tuple(row[n] for n in names)


MEASURES = ("orders", "cancelled", "paid_orders", "units", "booked", "gross", "returns", "net")


def test_revenue_by_month_by_hand(rt, feed, events):
    feed(order_events(events))
    rows, report = revenue(rt)
    assert figures(rows[("2026-01", "All")], *MEASURES) == (
        2,
        0,
        2,
        D(4),
        D("120.00"),
        D("120.00"),
        D("5.00"),
        D("115.00"),
    )
    assert rows[("2026-01", "All")]["average_order_value"] == D("57.50")
    assert rows[("2026-01", "All")]["return_rate"] == D("0.0417")
    # O3 placed and unpaid, O4 cancelled after payment
    assert figures(rows[("2026-02", "All")], *MEASURES) == (1, 1, 0, D(3), D("180.00"), 0, 0, 0)
    assert report.totals["net"] == D("115.00")


def test_revenue_by_channel_and_category(rt, feed, events):
    feed(order_events(events))
    channels, _ = revenue(rt, "channel")
    assert figures(channels[("2026-01", "Online store")], "orders", "gross", "net") == (
        1,
        D("100.00"),
        D("100.00"),
    )
    assert figures(channels[("2026-01", "Retail store")], "gross", "returns", "net") == (
        D("20.00"),
        D("5.00"),
        D("15.00"),
    )
    categories, _ = revenue(rt, "category")
    assert figures(categories[("2026-01", "Tea")], "orders", "units", "gross", "net") == (
        2,
        D(3),
        D("60.00"),
        D("55.00"),
    )
    assert figures(categories[("2026-01", "Cups")], "orders", "units", "net") == (
        1,
        D(1),
        D("60.00"),
    )
    assert figures(categories[("2026-02", "Cups")], "orders", "booked", "gross") == (
        1,
        D("180.00"),
        0,
    )
    assert figures(categories[("2026-02", "Tea")], "orders", "cancelled") == (0, 1)


def test_filtered_requests_read_the_facts_and_agree(rt, feed, events):
    feed(order_events(events))
    online, _ = revenue(rt, "category", channel=["online_store"])
    assert figures(online[("2026-01", "Tea")], "gross", "net") == (D("40.00"), D("40.00"))
    assert figures(online[("2026-01", "Cups")], "gross", "net") == (D("60.00"), D("60.00"))
    # a filter that keeps everything gives exactly the rollup's answer
    everything, _ = revenue(rt, "category", channel=["online_store", "retail_store"])
    rollup, _ = revenue(rt, "category")
    assert everything == rollup
    by_country, _ = revenue(rt, "country")
    assert by_country[("2026-01", "DE")]["net"] == D("115.00")
    assert by_country[("2026-02", "FR")]["booked"] == D("180.00")


def test_customer_history_and_cohort(rt, feed, events):
    feed(order_events(events))
    with rt.db.session() as session:
        c1 = session.execute(
            select(t.customer_sales).where(t.customer_sales.c.customer_id == C1)
        ).one()
        assert (c1.orders, c1.net, c1.first_day, c1.last_day) == (
            2,
            D("115.00"),
            date(2026, 1, 10),
            date(2026, 1, 20),
        )
        # C2 has nothing paid that stands
        assert (
            session.execute(
                select(func.count()).where(t.customer_sales.c.customer_id == C2)
            ).scalar()
            == 0
        )
        cells = session.execute(select(t.cohort_cells)).all()
        assert [(c.cohort, c.month, c.customers, c.revenue) for c in cells] == [
            (date(2026, 1, 1), date(2026, 1, 1), 1, D("115.00"))
        ]
        body = customer_scores(session, C1, "EUR")
    assert body["purchases"]["orders"] == 2
    assert body["purchases"]["cohort"] == "2026-01"


def _snapshot(rt) -> str:
    with rt.db.session() as session:
        tables = {
            "orders": session.execute(select(t.orders).order_by(t.orders.c.order_id)).all(),
            "lines": session.execute(
                select(t.order_lines).order_by(t.order_lines.c.order_id, t.order_lines.c.line_no)
            ).all(),
            "rollup": session.execute(
                select(t.revenue_daily).order_by(*t.revenue_daily.primary_key.columns)
            ).all(),
            "customers": session.execute(
                select(t.customer_sales).order_by(t.customer_sales.c.customer_id)
            ).all(),
            "cohorts": session.execute(select(t.cohort_cells)).all(),
        }
    return json.dumps({k: [list(map(str, r)) for r in v] for k, v in tables.items()})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_and_duplicates_give_the_same_tables(new_runtime, deliver_to, events, seed):
    stream = order_events(events)
    results = []
    for arrangement in ("in order", "shuffled with duplicates"):
        rt = new_runtime()
        envelopes = list(stream)
        if arrangement != "in order":
            rng = random.Random(seed)
            envelopes = envelopes + rng.sample(envelopes, 5)
            rng.shuffle(envelopes)
        deliver_to(rt, envelopes)
        results.append(_snapshot(rt))
    assert results[0] == results[1]


def test_merged_customers_pool_their_purchases_whichever_comes_first(
    new_runtime, deliver_to, events
):
    o5 = events.placed(ORDER[5], C3, at("2026-01-15"), [(P2, "Cups", 1, "50.00")])
    merge = events.make(
        "customer.merged", at("2026-02-20"), survivor_id=C1, merged_ids=[C3], revision=9
    )
    stream = [*order_events(events), o5, events.paid(o5, at("2026-01-15", 12))]
    for arrangement in ([*stream, merge], [merge, *stream]):
        rt = new_runtime()
        deliver_to(rt, arrangement)
        with rt.db.session() as session:
            rows = {r.customer_id: r for r in session.execute(select(t.customer_sales)).all()}
            assert set(rows) == {C1}
            assert (rows[C1].orders, rows[C1].net) == (3, D("165.00"))
            cells = session.execute(select(t.cohort_cells)).all()
            assert [(c.customers, c.revenue) for c in cells] == [(1, D("165.00"))]
            # the merged id still answers, with the survivor's figures
            body = customer_scores(session, C3, "EUR")
            assert body["scored_customer_id"] == C1
            assert body["purchases"]["net_revenue"] == D("165.00")


def test_stale_events_do_not_overwrite_newer_state(rt, feed, events):
    o1 = events.placed(ORDER[1], C1, at("2026-01-10"), [(P1, "Tea", 1, "10.00")], region="EU-North")
    moved = events.placed(
        ORDER[1], C1, at("2026-01-10"), [(P1, "Tea", 1, "10.00")], region="EU-South", revision=5
    )
    feed([moved, o1])
    rows, _ = revenue(rt, "region")
    assert set(rows) == {("2026-01", "EU-South")}


def test_an_order_counts_once_per_category_on_both_paths(rt, feed, events):
    p3 = "aaaaaaaa-0000-4000-8000-000000000003"
    order = events.placed(
        ORDER[6], C1, at("2026-01-12"), [(P1, "Tea", 1, "10.00"), (p3, "Tea", 2, "30.00")]
    )
    feed([order, events.paid(order, at("2026-01-12", 11))])
    rollup, _ = revenue(rt, "category")
    facts, _ = revenue(rt, "category", channel=["online_store"])
    assert rollup == facts
    tea = rollup[("2026-01", "Tea")]
    assert (tea["orders"], tea["paid_orders"], tea["units"], tea["net"]) == (1, 1, D(3), D("40.00"))


@pytest.mark.parametrize(
    ("start", "end", "granularity"),
    [
        ("2026-01-15", "2026-02-10", "month"),  # part-months at both edges
        ("2026-01-01", "2026-02-10", "quarter"),  # a whole month and a part-month
        ("2026-01-11", "2026-02-28", "year"),
        ("2026-01-01", "2026-02-28", "week"),
    ],
)
def test_monthly_and_daily_rollups_agree_with_the_facts(rt, feed, events, start, end, granularity):
    feed(order_events(events))
    query = {
        "start": date.fromisoformat(start),
        "end": date.fromisoformat(end),
        "granularity": granularity,
        "dimension": "channel",
    }
    with rt.db.session() as session:
        rollup = revenue_report(session, ReportQuery(**query), "EUR").rows
        facts = revenue_report(
            session,
            ReportQuery(**query, filters={"channel": ("online_store", "retail_store")}),
            "EUR",
        ).rows
    assert rollup == facts
    assert rollup
