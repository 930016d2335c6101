"""Pure analytics logic against hand-computed numbers: periods, allocation, orders, customer
histories, RFM, churn, CLV, the forecast."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics_service.domain import customer_value as cv
from analytics_service.domain import periods
from analytics_service.domain.errors import InvalidQuery
from analytics_service.domain.forecasting import holt
from analytics_service.domain.money import allocate
from analytics_service.domain.orders import OrderState
from analytics_service.domain.scores import (
    PurchaseSummary,
    churn_risk,
    quintile_scores,
    score_customers,
    segment_of,
)

pytestmark = pytest.mark.unit
D = Decimal


def test_buckets_labels_and_counts():
    day = date(2026, 11, 26)  # a Thursday
    assert periods.bucket(day, "week") == date(2026, 11, 23)
    assert periods.bucket(day, "month") == date(2026, 11, 1)
    assert periods.bucket(day, "quarter") == date(2026, 10, 1)
    assert periods.bucket_label(date(2026, 11, 23), "week") == "2026-W48"
    assert periods.bucket_label(date(2026, 10, 1), "quarter") == "2026-Q4"
    assert periods.bucket_count(date(2026, 1, 1), date(2026, 12, 31), "month") == 12
    assert periods.bucket_count(date(2026, 1, 15), date(2026, 4, 2), "quarter") == 2
    assert list(periods.buckets(date(2026, 1, 31), date(2026, 3, 1), "month")) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


@pytest.mark.parametrize(
    ("start", "end", "granularity", "parameter"),
    [
        (date(2026, 2, 1), date(2026, 1, 1), "month", "from"),
        (date(2010, 1, 1), date(2026, 1, 1), "year", "to"),
        (date(2020, 1, 1), date(2026, 1, 1), "day", "granularity"),
    ],
)
def test_bad_periods_name_the_parameter(start, end, granularity, parameter):
    with pytest.raises(InvalidQuery) as caught:
        periods.check_period(start, end, granularity)
    assert caught.value.parameter == parameter
    assert parameter in caught.value.details


def test_allocation_adds_up_exactly():
    assert allocate(D("10"), [D(1), D(1), D(1)]) == [D("3.3334"), D("3.3333"), D("3.3333")]
    assert allocate(D("119.00"), [D("30"), D("70")]) == [D("35.7000"), D("83.3000")]
    assert allocate(D("5"), [D(0), D(0)]) == [D("2.5000"), D("2.5000")]
    shares = allocate(D("100.01"), [D("1")] * 7)
    assert sum(shares) == D("100.01")


def _order() -> OrderState:
    state = OrderState("o1")
    state.apply(
        "sales.order.placed",
        {
            "revision": 1,
            "customer_id": "c1",
            "channel": "web",
            "region": "EU",
            "owner_id": "r1",
            "owner_team": "west",
            "total": {"amount": "119.00", "currency": "EUR"},
            "base_total": {"amount": "119.00", "currency": "EUR"},
            "placed_at": "2026-01-10T10:00:00Z",
            "lines": [
                {
                    "product_id": "pa",
                    "category": "Tea",
                    "quantity": "2",
                    "line_total": {"amount": "30.00", "currency": "EUR"},
                },
                {
                    "product_id": "pb",
                    "category": "Cups",
                    "quantity": "1",
                    "line_total": {"amount": "70.00", "currency": "EUR"},
                },
            ],
        },
    )
    return state


def test_order_contributions_by_dimension():
    state = _order()
    placed = state.contributions()
    day = date(2026, 1, 10)
    # placed, not paid: booked (tax included) but no gross revenue yet
    assert placed[(day, "total", "")] == (1, 0, 0, D(3), D("119.0000"), 0, 0, 0)
    state.apply(
        "sales.order.paid",
        {
            **_header(),
            "revision": 2,
            "paid_at": "2026-01-10T11:00:00Z",
        },
    )
    state.apply(
        "sales.order.returned",
        {
            "revision": 3,
            "return_id": "r1",
            "customer_id": "c1",
            "full": False,
            "returned_at": "2026-01-20T10:00:00Z",
            "amount": {"amount": "20.00", "currency": "EUR"},
            "base_amount": {"amount": "20.00", "currency": "EUR"},
            "lines": [{"product_id": "pb", "amount": {"amount": "20.00", "currency": "EUR"}}],
        },
    )
    paid = state.contributions()
    assert paid[(day, "total", "")] == (1, 0, 1, D(3), D("119"), D("119"), D("20"), D("99"))
    # 119 split 30:70 over the lines; the return is charged to product pb
    assert paid[(day, "product", "pa")] == (1, 0, 1, D(2), D("35.7"), D("35.7"), 0, D("35.7"))
    assert paid[(day, "product", "pb")] == (1, 0, 1, D(1), D("83.3"), D("83.3"), 20, D("63.3"))
    assert paid[(day, "category", "Cups")][7] == D("63.3")
    assert state.customer_contribution() == (day, 1, D("99"))


def _header() -> dict:
    return {
        "customer_id": "c1",
        "channel": "web",
        "region": "EU",
        "owner_id": "r1",
        "total": {"amount": "119.00", "currency": "EUR"},
        "base_total": {"amount": "119.00", "currency": "EUR"},
        "placed_at": "2026-01-10T10:00:00Z",
    }


def test_order_folding_ignores_order_and_repeats():
    events = [
        (
            "sales.order.cancelled",
            {
                "revision": 3,
                "customer_id": "c1",
                "was_paid": True,
                "cancelled_at": "2026-01-11T10:00:00Z",
            },
        ),
        ("sales.order.paid", {**_header(), "revision": 2, "paid_at": "2026-01-10T11:00:00Z"}),
    ]
    forward, backward = _order(), _order()
    for event_type, data in events:
        forward.apply(event_type, data)
    for event_type, data in reversed(events):
        backward.apply(event_type, data)
        backward.apply(event_type, data)  # a repeat changes nothing
    assert forward == backward
    assert forward.status == "cancelled"
    assert forward.measures() == (0, 1, 0, 0, 0, 0, 0, 0)
    assert forward.customer_contribution() is None


def test_customer_history_and_cohorts():
    days: dict = {}
    cv.apply_delta(days, date(2026, 1, 10), 1, D("100.00"))
    cv.apply_delta(days, date(2026, 3, 2), 1, D("40.50"))
    cv.apply_delta(days, date(2026, 3, 20), 1, D("9.50"))
    assert cv.summary(days) == (3, D("150.00"), date(2026, 1, 10), date(2026, 3, 20))
    assert cv.cohort_contribution(days) == {
        (date(2026, 1, 1), date(2026, 1, 1)): (1, D("100")),
        (date(2026, 1, 1), date(2026, 3, 1)): (1, D("50.00")),
    }
    # the January purchase is cancelled: the customer now belongs to the March cohort
    cv.apply_delta(days, date(2026, 1, 10), -1, D("-100.00"))
    assert "2026-01-10" not in days
    assert cv.cohort_contribution(days) == {(date(2026, 3, 1), date(2026, 3, 1)): (1, D("50.00"))}


def test_quintiles_count_ties_as_half():
    assert quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert quintile_scores([1, 1, 1, 1, 2]) == [3, 3, 3, 3, 5]
    assert quintile_scores([7]) == [3]


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, "champions"),
        (5, 4, "champions"),
        (4, 5, "loyal"),
        (3, 4, "loyal"),
        (5, 2, "potential_loyalist"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (3, 3, "need_attention"),
        (3, 1, "about_to_sleep"),
        (2, 3, "at_risk"),
        (1, 5, "cant_lose_them"),
        (1, 1, "hibernating"),
    ],
)
def test_segment_grid(r, f, segment):
    assert segment_of(r, f) == segment


def test_churn_risk_is_logistic_in_the_overdue_ratio():
    assert churn_risk(0, 30) == D("0.05")
    assert churn_risk(45, 30) == D("0.50")
    assert churn_risk(90, 30) == D("0.95")


def test_scores_of_three_customers_by_hand():
    as_of = date(2026, 7, 1)
    scores = {
        s.customer_id: s
        for s in score_customers(
            [
                PurchaseSummary("a", 3, D("300.00"), date(2026, 1, 1), date(2026, 6, 30)),
                PurchaseSummary("b", 1, D("50.00"), date(2026, 3, 1), date(2026, 3, 1)),
                PurchaseSummary("c", 2, D("500.00"), date(2026, 2, 1), date(2026, 5, 1)),
            ],
            as_of,
        )
    }
    a, b, c = scores["a"], scores["b"], scores["c"]
    assert (a.recency_days, b.recency_days, c.recency_days) == (1, 122, 61)
    assert (a.score, a.segment) == ("553", "champions")
    assert (b.score, b.segment) == ("111", "hibernating")
    assert (c.score, c.segment) == ("335", "need_attention")
    # usual intervals: a 180/2 = 90 days, c 89 days; b (one purchase) their median, 89.5
    assert (a.churn_risk, b.churn_risk, c.churn_risk) == (D("0.05"), D("0.43"), D("0.16"))
    # a: AOV 100 x (730.5 / 90 x 0.95 = 7.7108 purchases) = 771.08, plus 300 historic -> 1071
    assert a.clv_historic == D("300.00")
    assert a.clv_predicted == D("1071.00")
    # b: AOV 50 x (730.5 / 89.5 x 0.57 = 4.6524) = 232.62, plus 50 -> 283
    assert b.clv_predicted == D("283.00")
    assert c.average_order_value == D("250.00")


def test_holt_continues_a_straight_line_exactly():
    result = holt([100, 110, 120, 130, 140, 150], horizon=3, level=95)
    assert result.method == "holt_linear"
    assert [round(p, 6) for p in result.points] == [160, 170, 180]
    assert result.sigma == pytest.approx(0, abs=1e-9)
    assert result.lower == pytest.approx(result.points)


def test_holt_interval_widens_with_the_horizon():
    history = [120, 95, 130, 150, 140, 170, 160, 185, 180, 205, 190, 220]
    result = holt(history, horizon=6, level=80)
    widths = [u - lo for u, lo in zip(result.upper, result.lower, strict=True)]
    assert all(w > 0 for w in widths)
    assert widths == sorted(widths)
    assert result.points[0] > 190  # the upward trend carries on
    wider = holt(history, horizon=6, level=95)
    assert wider.upper[0] - wider.lower[0] > widths[0]


def test_short_history_falls_back_to_the_mean():
    result = holt([0, 0, 100, 140], horizon=2)
    assert result.method == "mean"
    assert result.points == [120.0, 120.0]
    assert result.history_used == 2
    with pytest.raises(ValueError, match="two periods"):
        holt([0, 0, 0, 50], horizon=2)


def test_day_of_uses_utc():
    from datetime import timezone

    shanghai = timezone(timedelta(hours=8))
    assert periods.day_of(datetime(2026, 1, 1, 2, 0, tzinfo=shanghai)) == date(2025, 12, 31)
