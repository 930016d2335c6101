"""Exact money arithmetic for projections: quantising and pro-rata allocation."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

CENT4 = Decimal("0.0001")
CENT2 = Decimal("0.01")
ZERO = Decimal(0)


def q4(value: Decimal) -> Decimal:
    """Quantise to the 4 places money is stored with (ROUND_HALF_EVEN)."""
    return value.quantize(CENT4, rounding=ROUND_HALF_EVEN)


def q2(value: Decimal) -> Decimal:
    """Quantise to cents for presentation (ROUND_HALF_EVEN)."""
    return value.quantize(CENT2, rounding=ROUND_HALF_EVEN)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` over ``weights`` pro rata, to 4 places, summing exactly to ``total``.

    Each share is rounded half-even; whatever rounding leaves over goes to the largest weight, so
    the parts of an order always add up to the order. Zero weights everywhere split evenly.
    """
    total = q4(total)
    if not weights:
        return []
    weight_sum = sum(weights, ZERO)
    if weight_sum == ZERO:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    shares = [q4(total * w / weight_sum) for w in weights]
    rest = total - sum(shares, ZERO)
    if rest:
        largest = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
        shares[largest] += rest
    return shares
