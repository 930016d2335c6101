"""Segment rules: validation names the problem; evaluation matches hand-made expectations."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_service.domain.errors import InvalidValue
from customer_service.domain.model import Behaviour, Consent, Customer
from customer_service.domain.segments import compile_rules, uses_relative_time, validate_rules

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def customer(**kw):
    c = Customer.create(
        kind="person",
        first_name="Mei",
        last_name="Lin",
        address={"country": "CN", "city": "Shanghai"},
        emails=[{"address": "mei@shop.cn"}],
        tags=["vip", "tea lover"],
        demographics={"birth_date": "1990-06-01", "gender": "female"},
        psychographics={"interests": ["tea", "design"], "lifestyle": "urban"},
        attributes={"tier": "gold"},
        **kw,
    )
    c.behaviour = Behaviour(
        4, Decimal("250.00"), "EUR", NOW - timedelta(days=200), NOW - timedelta(days=10)
    )
    c.consents["email"] = Consent("email", "granted", "form", NOW)
    return c


def matches(rules, c=None, types=None):
    validate_rules(rules, types or {"tier": "enum"})
    return compile_rules(rules, types or {"tier": "enum"}, now=lambda: NOW)(
        (c or customer()).facts(NOW.date())
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "country", "op": "eq", "value": "CN"}, True),
        ({"field": "country", "op": "eq", "value": "cn"}, True),  # strings compare case-blind
        ({"field": "country", "op": "neq", "value": "CN"}, False),
        ({"field": "city", "op": "in", "value": ["Beijing", "Shanghai"]}, True),
        ({"field": "tags", "op": "contains", "value": "VIP"}, True),
        (
            {"field": "tags", "op": "contains", "value": "vi"},
            False,
        ),  # list membership, not substring
        ({"field": "name", "op": "contains", "value": "ei l"}, True),
        ({"field": "orders_count", "op": "gt", "value": 3}, True),
        ({"field": "orders_count", "op": "gte", "value": 5}, False),
        ({"field": "total_spent", "op": "between", "value": ["100", "250.00"]}, True),
        ({"field": "total_spent", "op": "lt", "value": 250}, False),
        ({"field": "last_order_at", "op": "within_last_days", "value": 30}, True),
        ({"field": "last_order_at", "op": "within_last_days", "value": 7}, False),
        ({"field": "first_order_at", "op": "lte", "value": "2026-06-01T00:00:00Z"}, True),
        ({"field": "demographics.age", "op": "between", "value": [30, 40]}, True),
        ({"field": "demographics.gender", "op": "eq", "value": "female"}, True),
        ({"field": "psychographics.interests", "op": "contains", "value": "tea"}, True),
        ({"field": "consent.email", "op": "eq", "value": True}, True),
        ({"field": "consent.sms", "op": "eq", "value": True}, False),
        ({"field": "industry", "op": "is_empty"}, True),
        ({"field": "industry", "op": "is_empty", "value": False}, False),
        ({"field": "email_domain", "op": "eq", "value": "shop.cn"}, True),
        ({"field": "attributes.tier", "op": "in", "value": ["gold", "platinum"]}, True),
        ({"field": "scores.churn_risk", "op": "gt", "value": 0.5}, False),
    ],
)
def test_each_operator(rule, expected):
    assert matches(rule) is expected


def test_nested_groups():
    rules = {
        "all": [
            {"field": "country", "op": "eq", "value": "CN"},
            {
                "any": [
                    {"field": "orders_count", "op": "gte", "value": 10},
                    {"not": {"field": "tags", "op": "contains", "value": "churned"}},
                ]
            },
        ]
    }
    assert matches(rules)
    assert not matches({"not": rules})


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"field": "shoe_size", "op": "eq", "value": 42}, "rules.field: unknown field"),
        ({"all": [{"field": "country", "op": "gt", "value": "A"}]}, "rules.all.0.op: gt does not"),
        ({"all": []}, "non-empty list"),
        ({"field": "orders_count", "op": "eq", "value": "many"}, "not a valid number"),
        ({"field": "orders_count", "op": "between", "value": [5, 1]}, "low is above high"),
        ({"field": "last_order_at", "op": "within_last_days", "value": -3}, "whole number"),
        ({"field": "country", "op": "in", "value": []}, "list of 1-500"),
        ({"field": "country", "op": "eq"}, "value is required"),
        ({"field": "country", "op": "eq", "value": "CN", "extra": 1}, "unknown keys"),
        ({"all": [{"field": "country", "op": "eq", "value": "CN"}], "any": []}, "exactly one key"),
        ({"field": "attributes.undefined", "op": "eq", "value": "x"}, "unknown field"),
        ("not a dict", "expected an object"),
    ],
)
def test_invalid_rules_name_the_path(rules, message):
    with pytest.raises(InvalidValue, match=message):
        validate_rules(rules, {"tier": "enum"})


def test_depth_is_bounded():
    rules = {"field": "country", "op": "eq", "value": "CN"}
    for _ in range(8):
        rules = {"not": rules}
    with pytest.raises(InvalidValue, match="deeper"):
        validate_rules(rules)


def test_relative_time_detection():
    assert uses_relative_time(
        {"all": [{"field": "last_order_at", "op": "within_last_days", "value": 3}]}
    )
    assert not uses_relative_time({"field": "country", "op": "eq", "value": "CN"})


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_between_agrees_with_gte_and_lte(low, count):
    c = customer()
    c.behaviour = Behaviour(count, Decimal(0), None, None, None)
    high = low + 10
    between = matches({"field": "orders_count", "op": "between", "value": [low, high]}, c)
    both = matches(
        {
            "all": [
                {"field": "orders_count", "op": "gte", "value": low},
                {"field": "orders_count", "op": "lte", "value": high},
            ]
        },
        c,
    )
    assert between == both
