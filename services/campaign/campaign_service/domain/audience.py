"""Who receives a send: the rules applied to segment members at send time, and the A/B split.

A member is left out, for the first reason that applies, when they are:

``inactive``           erased, merged away, or unknown to the customer replica;
``excluded_segment``   in one of the campaign's exclusion segments;
``no_email``           without an email address;
``no_consent``         without granted email consent (missing consent is no consent);
``unsubscribed``       on the suppression list because they unsubscribed;
``hard_bounced``       on the suppression list because their address hard-bounced;
``suppressed``         on the suppression list for another reason (added by hand, complaint);
``frequency_capped``   already sent (or about to be sent) ``cap`` marketing emails in the
                       rolling window;
``duplicate_address``  sharing an address with a member already chosen (one message per inbox).

The split is exact and reproducible: eligible members are ordered by a hash of campaign and
customer id, the first ``test_share`` percent form the test group (everyone when there is no
held-back remainder), and the test group is divided among variants by their split percentages
(largest remainder). The rest waits for the winner.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass

REASONS = (
    "inactive",
    "excluded_segment",
    "no_email",
    "no_consent",
    "unsubscribed",
    "hard_bounced",
    "suppressed",
    "frequency_capped",
    "duplicate_address",
)


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    email: str | None
    status: str | None  # replica status; None when the replica does not know the customer
    consent: str | None  # granted | withdrawn | None
    excluded_segment: bool = False
    suppression: str | None = None  # unsubscribed | hard_bounce | manual | complaint
    recent_messages: int = 0


def exclusion_reason(candidate: Candidate, *, frequency_cap: int | None) -> str | None:
    """Why ``candidate`` is left out, or None when they receive the message."""
    if candidate.status != "active":
        return "inactive"
    if candidate.excluded_segment:
        return "excluded_segment"
    if not candidate.email:
        return "no_email"
    if candidate.consent != "granted":
        return "no_consent"
    if candidate.suppression == "unsubscribed":
        return "unsubscribed"
    if candidate.suppression == "hard_bounce":
        return "hard_bounced"
    if candidate.suppression is not None:
        return "suppressed"
    if frequency_cap is not None and candidate.recent_messages >= frequency_cap:
        return "frequency_capped"
    return None


def select(
    candidates: list[Candidate], *, frequency_cap: int | None
) -> tuple[list[Candidate], dict[str, int]]:
    """Eligible candidates (one per address) and the excluded counts by reason."""
    excluded: Counter[str] = Counter(dict.fromkeys(REASONS, 0))
    chosen: list[Candidate] = []
    addresses: set[str] = set()
    for candidate in sorted(candidates, key=lambda c: c.customer_id):
        reason = exclusion_reason(candidate, frequency_cap=frequency_cap)
        if reason is None:
            key = candidate.email.strip().lower()
            if key in addresses:
                reason = "duplicate_address"
            else:
                addresses.add(key)
        if reason is None:
            chosen.append(candidate)
        else:
            excluded[reason] += 1
    return chosen, dict(excluded)


def _order_key(campaign_id: str, customer_id: str) -> bytes:
    return hashlib.sha256(f"{campaign_id}:{customer_id}".encode()).digest()


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` by integer ``weights`` exactly (largest remainder, ties to the first)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    raw = [total * w / weight_sum for w in weights]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def split(
    campaign_id: str,
    customer_ids: list[str],
    variants: list[tuple[str, int]],
    test_share_percent: int | None,
) -> dict[str, str | None]:
    """customer id -> variant id for the test group, None for those held for the winner.

    ``test_share_percent`` None (or 100) sends everyone a variant now.
    """
    ordered = sorted(customer_ids, key=lambda cid: _order_key(campaign_id, cid))
    n = len(ordered)
    if test_share_percent is None or test_share_percent >= 100:
        test_n = n
    else:
        test_n = math.ceil(n * test_share_percent / 100)
        # Each variant needs recipients for a fair test, as far as the audience allows.
        test_n = min(n, max(test_n, len(variants)))
    counts = apportion(test_n, [weight for _, weight in variants])
    assignment: dict[str, str | None] = {}
    index = 0
    for (variant_id, _), count in zip(variants, counts, strict=True):
        for cid in ordered[index : index + count]:
            assignment[cid] = variant_id
        index += count
    for cid in ordered[index:]:
        assignment[cid] = None
    return assignment


def normalise_address(address: str) -> str:
    return address.strip().lower()


def address_hash(address: str) -> str:
    """Suppressions are keyed by a hash of the address, so one survives erasure of the address."""
    return hashlib.sha256(normalise_address(address).encode()).hexdigest()
