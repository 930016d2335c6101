"""Choosing the A/B winner from the test group's results.

Scores per variant: ``opens`` = unique human opens / delivered, ``clicks`` = unique human clicks /
delivered, ``revenue`` = attributed revenue / delivered (base currency). Machine opens and clicks
never count. A tie on the chosen metric falls to the next one (revenue -> clicks -> opens), then
to the variant listed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

FALLBACK = {
    "revenue": ("revenue", "clicks", "opens"),
    "clicks": ("clicks", "opens"),
    "opens": ("opens", "clicks"),
}
_RATE = Decimal("0.000001")


@dataclass(frozen=True)
class VariantResult:
    variant_id: str
    position: int
    delivered: int
    opens: int
    clicks: int
    revenue: Decimal

    def score(self, metric: str) -> Decimal:
        if not self.delivered:
            return Decimal("0")
        numerator = {"opens": Decimal(self.opens), "clicks": Decimal(self.clicks)}.get(
            metric, self.revenue
        )
        return (numerator / self.delivered).quantize(_RATE, rounding=ROUND_HALF_EVEN)


def choose(results: list[VariantResult], metric: str) -> tuple[str, list[dict]]:
    """The winning variant id and the score list that justifies it."""
    if not results:
        raise ValueError("no variants to choose from")
    chain = FALLBACK[metric]

    def key(result: VariantResult):
        return (*(-result.score(m) for m in chain), result.position)

    winner = min(results, key=key)
    scores = [
        {"variant_id": r.variant_id, "delivered": r.delivered, "value": r.score(metric)}
        for r in sorted(results, key=lambda r: r.position)
    ]
    return winner.variant_id, scores
