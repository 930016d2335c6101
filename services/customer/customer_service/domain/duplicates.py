"""Finding customers that are probably the same: exact contact points, then fuzzy names."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

NAME_THRESHOLD = 90


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    reason: str  # email | phone | name
    score: int
    value: str

    def as_dict(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "reason": self.reason,
            "score": self.score,
            "value": self.value,
        }


def name_similarity(a: str, b: str) -> int:
    """0-100; word order and spacing do not matter ("Lin Mei" ~ "Mei Lin")."""
    if not a or not b:
        return 0
    return round(fuzz.token_sort_ratio(a, b))


def best_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per customer, the strongest reason first (email, phone, then name)."""
    rank = {"email": 0, "phone": 1, "name": 2}
    best: dict[str, Candidate] = {}
    for item in candidates:
        current = best.get(item.customer_id)
        if current is None or (rank[item.reason], -item.score) < (
            rank[current.reason],
            -current.score,
        ):
            best[item.customer_id] = item
    return sorted(best.values(), key=lambda c: (rank[c.reason], -c.score, c.customer_id))
