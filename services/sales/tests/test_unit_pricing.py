"""Quote and order arithmetic: exact, rounded per line, and stable (property-based)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import amount_text, minor_units, money, quantize, to_base
from sales_service.domain.pricing import (
    LineSpec,
    allocate,
    apply_order_discount,
    net_subtotal,
    price_lines,
    refund_for,
    totals,
)

pytestmark = pytest.mark.unit

CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "USD"])
QUANTITIES = st.decimals(min_value="0.0001", max_value="10000", places=4)
PRICES = st.decimals(min_value="0", max_value="100000", places=4)
TAX = st.sampled_from([Decimal(0), Decimal("0.07"), Decimal("0.19"), Decimal("0.0725")])
PERCENT = st.one_of(st.none(), st.decimals(min_value="0", max_value="100", places=2))


@st.composite
def specs(draw):
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        out.append(
            LineSpec(
                product_id=f"p{i}",
                sku=f"S{i}",
                name="x",
                quantity=draw(QUANTITIES),
                unit_price=draw(PRICES),
                tax_rate=draw(TAX),
                discount_percent=draw(PERCENT),
            )
        )
    return out


def _on_grid(value: Decimal, currency: str) -> bool:
    return quantize(value, currency) == value


@settings(max_examples=300, deadline=None)
@given(specs(), CURRENCIES, st.decimals(min_value="0", max_value="1", places=3))
def test_totals_are_the_sum_of_the_lines_and_never_negative(items, currency, share):
    lines = price_lines(items, currency)
    discount = quantize(net_subtotal(lines) * share, currency)
    lines = apply_order_discount(lines, discount, currency)
    summary = totals(lines)
    assert summary.total == sum((line.line_total + line.tax for line in lines), Decimal(0))
    assert summary.subtotal - summary.discount_total + summary.tax_total == summary.total
    assert sum((line.order_discount for line in lines), Decimal(0)) == discount
    for line in lines:
        assert line.line_total >= 0 and line.tax >= 0 and line.discount >= 0
        for value in (line.gross, line.discount, line.line_total, line.tax):
            assert _on_grid(value, currency)
    assert summary.total >= 0


@settings(max_examples=200, deadline=None)
@given(specs(), CURRENCIES)
def test_pricing_is_stable_when_repeated_from_stored_lines(items, currency):
    lines = price_lines(items, currency)
    again = price_lines([line.spec() for line in lines], currency)
    assert totals(again) == totals(lines)
    assert [line.line_total for line in again] == [line.line_total for line in lines]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**7),
    st.lists(st.decimals(min_value="0", max_value="1000", places=2), min_size=1, max_size=10),
)
def test_allocation_is_exact_and_bounded(units, weights):
    total_weight = sum(weights, Decimal(0))
    amount = min(Decimal(units) / 100, total_weight)
    amount = amount.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
    shares = allocate(amount, weights, "EUR")
    if total_weight == 0:
        assert all(s == 0 for s in shares)
        return
    assert sum(shares, Decimal(0)) == amount
    for share, weight in zip(shares, weights, strict=True):
        assert 0 <= share <= weight


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10**6),
    PRICES,
    TAX,
    CURRENCIES,
    st.lists(st.integers(1, 10**6 - 1), max_size=6, unique=True),
)
def test_partial_returns_refund_exactly_what_was_paid(units, price, tax, currency, cuts):
    quantity = Decimal(units) / 10_000
    line = price_lines([LineSpec("a", "A", "a", quantity, price, tax)], currency)[0]
    points = sorted({c for c in cuts if c < units})
    parts = [b - a for a, b in zip([0, *points], [*points, units], strict=True)]
    refunded = Decimal(0)
    for part in parts:
        take = Decimal(part) / 10_000
        refund = refund_for(line, take, currency)
        assert refund >= 0 and _on_grid(refund, currency)
        line.returned_quantity += take
        line.refunded += refund
        refunded += refund
    assert line.returnable_quantity == 0
    assert refunded == line.payable


def test_golden_sample_arithmetic():
    lines = price_lines(
        [LineSpec("p", "TEA-001", "Tea", Decimal(2), Decimal("24.50"), Decimal("0.19"))], "EUR"
    )
    lines = apply_order_discount(lines, quantize(net_subtotal(lines) / 10, "EUR"), "EUR")
    summary = totals(lines)
    assert (summary.subtotal, summary.discount_total, summary.tax_total, summary.total) == (
        Decimal("49.00"),
        Decimal("4.90"),
        Decimal("8.38"),
        Decimal("52.48"),
    )


def test_rounding_is_half_even_per_line():
    # 0.125 -> 0.12 and 0.135 -> 0.14 (banker's rounding), each line on its own.
    lines = price_lines(
        [
            LineSpec("a", "A", "a", Decimal(1), Decimal("0.125")),
            LineSpec("b", "B", "b", Decimal(1), Decimal("0.135")),
        ],
        "EUR",
    )
    assert [line.gross for line in lines] == [Decimal("0.12"), Decimal("0.14")]
    assert Decimal("0.125").quantize(Decimal("0.01"), ROUND_HALF_EVEN) == Decimal("0.12")


def test_currencies_round_to_their_minor_unit():
    assert minor_units("JPY") == 0 and minor_units("KWD") == 3 and minor_units("EUR") == 2
    lines = price_lines([LineSpec("a", "A", "a", Decimal(3), Decimal("333.5"))], "JPY")
    assert lines[0].gross == Decimal(1000)  # 1000.5 -> 1000
    assert money(Decimal("12.5"), "EUR") == {"amount": "12.50", "currency": "EUR"}
    assert amount_text(Decimal("0.1250"), "EUR") == "0.125"  # a unit price keeps its places
    assert to_base(Decimal("100.00"), Decimal("0.128500"), "EUR") == Decimal("12.85")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (LineSpec("a", "A", "a", Decimal(-1), Decimal(1)), "greater than zero"),
        (LineSpec("a", "A", "a", Decimal(1), Decimal(-1)), "negative"),
        (LineSpec("a", "A", "a", Decimal(1), Decimal("0.00001")), "decimal places"),
        (LineSpec("a", "A", "a", Decimal(1), Decimal(1), Decimal(2)), "tax_rate"),
        (LineSpec("a", "A", "a", Decimal(1), Decimal(1), discount_amount=Decimal(2)), "more than"),
        (
            LineSpec("a", "A", "a", Decimal(1), Decimal(1), discount_percent=Decimal(101)),
            "between 0 and 100",
        ),
    ],
)
def test_impossible_lines_are_refused(spec, message):
    with pytest.raises(InvalidValue, match=message):
        price_lines([spec], "EUR")


def test_an_order_discount_larger_than_the_order_is_refused():
    lines = price_lines([LineSpec("a", "A", "a", Decimal(1), Decimal(5))], "EUR")
    with pytest.raises(InvalidValue):
        apply_order_discount(lines, Decimal("5.01"), "EUR")
