"""Campaign life cycle, budgets, coupons, surveys, competitors and money rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from campaign_service.domain import events
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.competitors import Competitor
from campaign_service.domain.coupons import ALPHABET, Coupon, generate_code
from campaign_service.domain.errors import InvalidValue, StateConflict
from campaign_service.domain.money import Money, convert, parse_rates
from campaign_service.domain.surveys import Survey, aggregate, nps_score, parse_answers

pytestmark = pytest.mark.unit

TEMPLATE = "5b7c1f5e-0000-4000-8000-000000000001"
SEGMENT = "5b7c1f5e-0000-4000-8000-000000000002"


def campaign(**overrides):
    data = {
        "name": "Spring",
        "channel": "email",
        "segment_ids": [SEGMENT],
        "variants": [{"name": "A", "split_percent": 100, "template_id": TEMPLATE}],
        **overrides,
    }
    return Campaign.create(base_currency="EUR", created_by="user:1", **data)


def verbs(c):
    return [e.verb for _, e in c.pull_events() if isinstance(e, events.CampaignChanged)]


def test_life_cycle_through_explicit_actions():
    c = campaign()
    now = datetime.now(UTC)
    c.schedule(now + timedelta(hours=1), now=now)
    c.launch(now=now)
    c.pause()
    with pytest.raises(StateConflict, match="cannot pause a paused campaign"):
        c.pause()
    c.resume()
    c.complete()
    with pytest.raises(StateConflict):
        c.cancel()
    assert verbs(c) == ["created", "scheduled", "launched", "paused", "resumed", "completed"]


def test_sending_campaigns_must_be_ready_and_schedules_in_the_future():
    c = campaign(segment_ids=[], variants=[{"name": "A", "split_percent": 100}])
    with pytest.raises(StateConflict, match=r"target segment.*no template"):
        c.launch()
    social = campaign(channel="social", segment_ids=[], variants=None)
    social.launch()
    assert social.status == "running"
    with pytest.raises(InvalidValue, match="past"):
        campaign().schedule(datetime.now(UTC) - timedelta(minutes=1))


def test_plan_fields_freeze_at_launch_but_budget_may_change():
    c = campaign()
    c.launch()
    with pytest.raises(StateConflict, match="segment_ids"):
        c.update({"segment_ids": []})
    assert c.update({"budget": Money(Decimal("100"), "EUR"), "name": "Spring!"}) == [
        "name",
        "budget",
    ]


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ([{"name": "A", "split_percent": 60}, {"name": "B", "split_percent": 30}], "add up to 100"),
        ([{"name": "A", "split_percent": 50}, {"name": "a", "split_percent": 50}], "used twice"),
        ([{"name": f"V{i}", "split_percent": 16} for i in range(6)], "at most 5"),
        ([], "at least one variant"),
    ],
)
def test_variant_rules(variants, message):
    c = campaign()
    with pytest.raises(InvalidValue, match=message):
        c.update({"variants": variants})


def test_ab_test_needs_two_variants_and_budget_in_base_currency():
    with pytest.raises(InvalidValue, match="two variants"):
        campaign(
            ab_test={"winner_metric": "clicks", "test_share_percent": 20, "test_duration_hours": 4}
        )
    with pytest.raises(InvalidValue, match="base currency EUR"):
        campaign(budget=Money(Decimal("10"), "USD"))
    now = datetime.now(UTC)
    with pytest.raises(InvalidValue, match="planned_end"):
        campaign(planned_start=now, planned_end=now - timedelta(days=1))


def test_budget_exceeded_fires_once_per_crossing():
    c = campaign(budget=Money(Decimal("100.00"), "EUR"))
    c.pull_events()

    def exceeded():
        return [e for _, e in c.pull_events() if isinstance(e, events.BudgetExceeded)]

    c.apply_spend(Decimal("80.00"), "cost-1")
    assert exceeded() == []
    c.apply_spend(Decimal("120.00"), "cost-2")
    (first,) = exceeded()
    assert first.cost_id == "cost-2" and first.spend.amount == Decimal("120.00")
    c.apply_spend(Decimal("130.00"), "cost-3")
    assert exceeded() == []
    c.apply_spend(Decimal("90.00"), None)  # a cost removed: back under budget
    c.apply_spend(Decimal("101.00"), "cost-4")
    assert len(exceeded()) == 1
    assert c.budget_burn() == Decimal("1.0100")


def test_coupon_rules_and_codes():
    with pytest.raises(InvalidValue, match="at most 100"):
        Coupon.create(name="x", mode="shared", discount_kind="percent", value=Decimal("120"))
    with pytest.raises(InvalidValue, match="currency"):
        Coupon.create(name="x", mode="shared", discount_kind="amount", value=Decimal("5"))
    with pytest.raises(InvalidValue, match="max_per_customer"):
        Coupon.create(
            name="x",
            mode="unique",
            discount_kind="percent",
            value=Decimal("5"),
            max_redemptions=1,
            max_per_customer=2,
        )
    shared = Coupon.create(name="x", mode="shared", discount_kind="percent", value=Decimal("5"))
    assert shared.code and len(shared.code) == 14
    with pytest.raises(StateConflict, match="cannot change"):
        shared.update({"value": Decimal("10")})
    unique = Coupon.create(
        name="u",
        mode="unique",
        discount_kind="amount",
        value=Decimal("5"),
        currency="EUR",
        min_order={"amount": "20", "currency": "EUR"},
    )
    batches = unique.issue_codes(12_000, "SPR", lambda codes: set())
    assert [n for n, _ in batches] == [1, 2, 3]
    codes = [code for _, chunk in batches for code in chunk]
    assert len(set(codes)) == 12_000
    assert all(
        code.startswith("SPR-") and set(code[4:].replace("-", "")) <= set(ALPHABET)
        for code in codes
    )
    assert not set(ALPHABET) & set("01OIL")
    issued = [e for _, e in unique.pull_events() if isinstance(e, events.CouponCodesIssued)]
    assert [len(e.codes) for e in issued] == [5000, 5000, 2000]
    assert generate_code() != generate_code()


def test_issuing_codes_redraws_clashes():
    unique = Coupon.create(name="u", mode="unique", discount_kind="percent", value=Decimal("5"))
    calls = []

    def taken(codes):
        calls.append(len(codes))
        return set(list(codes)[:3]) if len(calls) == 1 else set()

    batches = unique.issue_codes(10, None, taken)
    assert len(batches[0][1]) == 10 and calls == [10, 3]


def survey():
    return Survey.create(
        name="Buyers",
        questions=[
            {"type": "nps", "text": "Recommend?", "required": True},
            {
                "type": "single_choice",
                "text": "How often?",
                "options": [{"label": "Monthly"}, {"label": "Yearly"}],
            },
            {
                "type": "multiple_choice",
                "text": "What matters?",
                "options": [{"label": "Price"}, {"label": "Taste"}, {"label": "Origin"}],
            },
            {"type": "scale", "text": "Delivery?", "scale_min": 1, "scale_max": 5},
            {"type": "text", "text": "Ideas?", "max_length": 20},
        ],
    )


def test_survey_answers_are_validated():
    s = survey()
    answers, errors = parse_answers(
        s.questions,
        {
            "q_q1": ["9"],
            "q_q2": ["o1"],
            "q_q3": ["o1", "o3"],
            "q_q4": ["4"],
            "q_q5": ["more"],
        },
    )
    assert errors == {}
    assert [a["question_id"] for a in answers] == ["q1", "q2", "q3", "q4", "q5"]
    _, errors = parse_answers(
        s.questions,
        {
            "q_q2": ["o1", "o2"],
            "q_q3": ["o9"],
            "q_q4": ["6"],
            "q_q5": ["x" * 21],
        },
    )
    assert set(errors) == {"q1", "q2", "q3", "q4", "q5"}
    assert errors["q1"] == "Please answer this question."


def test_survey_results_and_nps():
    s = survey()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    responses = []
    for n, (score, often, matters, scale, text) in enumerate(
        [
            (10, "o1", ["o1", "o2"], 5, "green tea"),
            (9, "o1", ["o2"], 4, None),
            (7, "o2", [], 3, None),
            (3, None, ["o2"], None, "cheaper"),
        ]
    ):
        form = {
            "q_q1": [str(score)],
            "q_q2": [often] if often else [],
            "q_q3": matters,
            "q_q4": [str(scale)] if scale else [],
            "q_q5": [text] if text else [],
        }
        answers, errors = parse_answers(s.questions, form)
        assert errors == {}
        responses.append((at + timedelta(minutes=n), answers))
    q1, q2, q3, q4, q5 = aggregate(s.questions, responses)
    assert q1["nps"] == {"score": Decimal("25.0"), "promoters": 2, "passives": 1, "detractors": 1}
    assert q1["average"] == Decimal("7.25")
    assert [(o["count"], o["percent"]) for o in q2["options"]] == [
        (2, Decimal("66.7")),
        (1, Decimal("33.3")),
    ]
    assert q2["skipped"] == 1
    assert [o["count"] for o in q3["options"]] == [1, 3, 0]
    assert q4["average"] == Decimal("4.00")
    assert q4["distribution"][4] == {"value": 5, "count": 1}
    assert [a["text"] for a in q5["text_answers"]] == ["cheaper", "green tea"]
    assert nps_score([])["score"] is None


def test_survey_questions_lock_once_answered_and_life_cycle():
    s = survey()
    s.open()
    s.responses = 1
    with pytest.raises(StateConflict, match="answers came in"):
        s.update({"questions": [{"type": "text", "text": "?"}]})
    s.close()
    with pytest.raises(StateConflict):
        s.open()


def test_competitor_products_keep_money_exact():
    c = Competitor.create(
        name="Jade",
        products=[
            {
                "name": "Longjing",
                "price_points": [
                    {"label": "list", "price": {"amount": Decimal("26.905"), "currency": "EUR"}}
                ],
            }
        ],
        strengths=["fast", "fast", " "],
    )
    assert c.products[0]["price_points"][0]["price"] == {"amount": "26.90", "currency": "EUR"}
    assert c.strengths == ["fast"]
    with pytest.raises(InvalidValue, match="website"):
        c.update({"website": "javascript:alert(1)"})


def test_money_conversion_rounds_half_even():
    assert convert(Money(Decimal("8000.00"), "CNY"), Decimal("0.1285"), "EUR") == Money(
        Decimal("1028.00"), "EUR"
    )
    assert convert(Money(Decimal("0.125"), "USD"), Decimal("1"), "EUR").amount == Decimal("0.12")
    assert parse_rates("USD=0.92, cny=0.1285") == {"USD": Decimal("0.92"), "CNY": Decimal("0.1285")}
    with pytest.raises(InvalidValue):
        parse_rates("USD")
