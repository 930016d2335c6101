"""Attribution models with hand-computed splits; audience rules and the A/B split."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from campaign_service.domain.attribution import Touch, attribute, roi, split_revenue
from campaign_service.domain.audience import Candidate, apportion, exclusion_reason, select, split
from campaign_service.domain.winner import VariantResult, choose

pytestmark = pytest.mark.unit

PLACED = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
A, B, C = "campaign-a", "campaign-b", "campaign-c"


def touch(tid: str, campaign: str, days_before: float) -> Touch:
    return Touch(tid, campaign, PLACED - timedelta(days=days_before))


def by_model(shares):
    out = {}
    for s in shares:
        out.setdefault(s.model, {})[s.campaign_id] = (s.share, s.revenue)
    return out


def test_three_models_hand_computed():
    # Touches A (20 days before), B (10), A (1): first and last to A; linear 2/3 A, 1/3 B.
    touches = [touch("t1", A, 20), touch("t2", B, 10), touch("t3", A, 1)]
    method, shares = attribute(
        Decimal("100.00"),
        coupon_campaign_id=None,
        touches=touches,
        placed_at=PLACED,
        lookback_days=30,
    )
    assert method == "touchpoint"
    models = by_model(shares)
    assert models["last_touch"] == {A: (Decimal(1), Decimal("100.00"))}
    assert models["first_touch"] == {A: (Decimal(1), Decimal("100.00"))}
    assert models["linear"] == {
        A: (Decimal("0.666667"), Decimal("66.67")),
        B: (Decimal("0.333333"), Decimal("33.33")),
    }


def test_linear_over_three_campaigns_adds_up_exactly():
    touches = [touch("t1", A, 3), touch("t2", B, 2), touch("t3", C, 1)]
    _, shares = attribute(
        Decimal("100.00"),
        coupon_campaign_id=None,
        touches=touches,
        placed_at=PLACED,
        lookback_days=30,
    )
    linear = [s for s in shares if s.model == "linear"]
    assert [s.revenue for s in linear] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(s.share for s in linear) == Decimal(1)
    assert sum(s.revenue for s in linear) == Decimal("100.00")
    assert by_model(shares)["first_touch"] == {A: (Decimal(1), Decimal("100.00"))}
    assert by_model(shares)["last_touch"] == {C: (Decimal(1), Decimal("100.00"))}


def test_lookback_window_and_future_touches_are_ignored():
    touches = [touch("old", A, 31), touch("in", B, 29), touch("after", C, -1)]
    _, shares = attribute(
        Decimal("50.00"),
        coupon_campaign_id=None,
        touches=touches,
        placed_at=PLACED,
        lookback_days=30,
    )
    assert {s.campaign_id for s in shares} == {B}
    assert attribute(
        Decimal("50"),
        coupon_campaign_id=None,
        touches=[touch("x", A, 40)],
        placed_at=PLACED,
        lookback_days=30,
    ) == (None, [])


def test_coupon_beats_touchpoints_under_every_model():
    method, shares = attribute(
        Decimal("80.00"),
        coupon_campaign_id=C,
        touches=[touch("t", A, 1)],
        placed_at=PLACED,
        lookback_days=30,
    )
    assert method == "coupon"
    assert {(s.model, s.campaign_id, s.share, s.revenue) for s in shares} == {
        ("last_touch", C, Decimal(1), Decimal("80.00")),
        ("first_touch", C, Decimal(1), Decimal("80.00")),
        ("linear", C, Decimal(1), Decimal("80.00")),
    }


def test_revenue_split_and_roi():
    assert split_revenue(Decimal("0.05"), [1, 1, 1]) == [
        Decimal("0.02"),
        Decimal("0.02"),
        Decimal("0.01"),
    ]
    assert roi(Decimal("150.00"), Decimal("100.00")) == Decimal("0.5000")
    assert roi(Decimal("50.00"), Decimal("100.00")) == Decimal("-0.5000")
    assert roi(Decimal("50.00"), Decimal("0")) is None


def cand(cid, **kw):
    values = dict(customer_id=cid, email=f"{cid}@example.com", status="active", consent="granted")
    values.update(kw)
    return Candidate(**values)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": "erased"}, "inactive"),
        ({"status": None}, "inactive"),
        ({"excluded_segment": True}, "excluded_segment"),
        ({"email": None}, "no_email"),
        ({"consent": None}, "no_consent"),
        ({"consent": "withdrawn"}, "no_consent"),
        ({"suppression": "unsubscribed"}, "unsubscribed"),
        ({"suppression": "hard_bounce"}, "hard_bounced"),
        ({"suppression": "manual"}, "suppressed"),
        ({"recent_messages": 3}, "frequency_capped"),
        ({"recent_messages": 2}, None),
        ({"consent": "withdrawn", "email": None}, "no_email"),
    ],
)
def test_exclusion_reasons(kwargs, reason):
    assert exclusion_reason(cand("c1", **kwargs), frequency_cap=3) == reason


def test_frequency_cap_off_and_duplicate_addresses():
    assert exclusion_reason(cand("c1", recent_messages=99), frequency_cap=None) is None
    chosen, excluded = select(
        [
            cand("c1", email="Same@Example.com"),
            cand("c2", email="same@example.com"),
            cand("c3", consent=None),
        ],
        frequency_cap=3,
    )
    assert [c.customer_id for c in chosen] == ["c1"]
    assert excluded["duplicate_address"] == 1 and excluded["no_consent"] == 1


def test_split_is_exact_and_reproducible():
    ids = [f"customer-{i}" for i in range(1000)]
    assignment = split("campaign", ids, [("A", 50), ("B", 50)], 20)
    counts = Counter(assignment.values())
    assert counts == {"A": 100, "B": 100, None: 800}
    assert split("campaign", list(reversed(ids)), [("A", 50), ("B", 50)], 20) == assignment
    other = split("other-campaign", ids, [("A", 50), ("B", 50)], 20)
    assert other != assignment  # a different campaign draws a different test group
    everyone = Counter(split("c", ids[:7], [("A", 60), ("B", 30), ("C", 10)], None).values())
    assert everyone == {"A": 4, "B": 2, "C": 1}
    tiny = Counter(split("c", ids[:3], [("A", 50), ("B", 50)], 10).values())
    assert tiny == {"A": 1, "B": 1, None: 1}  # each variant gets someone to test


def test_apportion_largest_remainder():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(0, [50, 50]) == [0, 0]
    assert sum(apportion(97, [33, 33, 34])) == 97


def test_winner_by_metric_with_fallbacks():
    results = [
        VariantResult("A", 0, delivered=100, opens=40, clicks=5, revenue=Decimal("0")),
        VariantResult("B", 1, delivered=100, opens=30, clicks=8, revenue=Decimal("0")),
    ]
    assert choose(results, "opens")[0] == "A"
    assert choose(results, "clicks")[0] == "B"
    winner, scores = choose(results, "revenue")  # a revenue tie falls back to clicks
    assert winner == "B"
    assert scores[0] == {"variant_id": "A", "delivered": 100, "value": Decimal("0.000000")}
    tie = [VariantResult(v, i, 10, 1, 1, Decimal(0)) for i, v in enumerate("XY")]
    assert choose(tie, "clicks")[0] == "X"
