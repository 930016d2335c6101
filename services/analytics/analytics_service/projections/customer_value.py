"""Per-customer purchase histories and cohort cells, kept by orders and re-keyed by merges.

Orders name the customer sales knew; after a merge in the customer service that id lives on as
an alias of the survivor. Histories are kept under the resolved id, so whether an order or the
merge arrives first, the survivor ends up with every purchase.

Which id a history lives under is only known once aliases are read, and a merge committing
between that read and the write would leave a purchase on the merged id. So merges take
``MERGE_GATE`` exclusively and orders take it shared, before any other lock: aliases cannot
change while an order batch resolves them, and the batch can lock the resolved histories up front
with everything else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import LockPlan, LockSpace, Tx
from analytics_service.domain import customer_value as cv
from analytics_service.domain.money import ZERO

CustomerDelta = tuple[date, int, Decimal]  # (day, purchases, net revenue)

MERGE_GATE = LockSpace("customer-merges", stage=0, buckets=1)
GATE_KEY = "aliases"
# Keyed by resolved id, which only the aliases tell: after the stages whose keys events name.
HISTORIES = LockSpace("customer-sales", stage=2)


def resolve(tx: Tx, ids: Iterable[str]) -> dict[str, str]:
    """Each id mapped to the customer it lives on now (itself unless merged)."""
    ids = {i for i in ids if i}
    aliases = tx.fetch(t.customer_aliases, "merged_id", ids)
    return {i: (aliases[i].survivor_id if i in aliases else i) for i in ids}


def plan_histories(plan: LockPlan, tx: Tx, ids: Iterable[str]) -> None:
    """Lock the histories these ids resolve to (the plan holds ``MERGE_GATE`` already).

    Merges in the same batch may move an id on to a survivor they name; their own plan locks
    every such survivor's history.
    """
    plan.add(HISTORIES, set(resolve(tx, ids).values()))


def apply_deltas(tx: Tx, deltas: Mapping[str, list[CustomerDelta]]) -> None:
    """Change the histories of resolved customers and the cohort cells they feed."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    tx.lock(HISTORIES, deltas)
    rows = tx.fetch(t.customer_sales, "customer_id", deltas)
    histories = {cid: dict(rows[cid].days) if cid in rows else {} for cid in deltas}
    cohort_before = {cid: cv.cohort_contribution(days) for cid, days in histories.items()}
    for cid, changes in deltas.items():
        for day, purchases, net in changes:
            cv.apply_delta(histories[cid], day, purchases, net)
    _write(tx, histories, cohort_before)


def fold(tx: Tx, merged_ids: Iterable[str], survivor: str) -> None:
    """Move the histories of merged duplicates onto their survivor."""
    merged_ids = [m for m in merged_ids if m != survivor]
    tx.lock(HISTORIES, [*merged_ids, survivor])
    rows = tx.fetch(t.customer_sales, "customer_id", [*merged_ids, survivor])
    moving = [m for m in merged_ids if m in rows]
    if not moving:
        return
    histories = {cid: dict(rows[cid].days) for cid in moving}
    histories[survivor] = dict(rows[survivor].days) if survivor in rows else {}
    cohort_before = {cid: cv.cohort_contribution(days) for cid, days in histories.items()}
    for cid in moving:
        cv.merge(histories[survivor], histories[cid])
        histories[cid] = {}
    _write(tx, histories, cohort_before)


def _write(tx: Tx, histories: dict[str, dict], cohort_before: dict[str, dict]) -> None:
    cohort_delta: dict[tuple[date, date], list] = defaultdict(lambda: [0, ZERO])
    upserts, removed = [], []
    for cid, days in histories.items():
        for cell, (active, revenue) in cohort_before[cid].items():
            cohort_delta[cell][0] -= active
            cohort_delta[cell][1] -= revenue
        for cell, (active, revenue) in cv.cohort_contribution(days).items():
            cohort_delta[cell][0] += active
            cohort_delta[cell][1] += revenue
        if not days:
            removed.append(cid)
            continue
        purchases, net, first, last = cv.summary(days)
        upserts.append(
            {
                "customer_id": cid,
                "days": days,
                "orders": purchases,
                "net": net,
                "first_day": first,
                "last_day": last,
            }
        )
    tx.upsert(t.customer_sales, upserts, ("customer_id",))
    tx.delete_in(t.customer_sales, "customer_id", removed)
    cells = [
        {"cohort": cohort, "month": month, "customers": active, "revenue": revenue}
        for (cohort, month), (active, revenue) in cohort_delta.items()
        if active or revenue
    ]
    touched = [(c["cohort"], c["month"]) for c in cells]
    tx.accumulate(t.cohort_cells, cells, ("cohort", "month"), ("customers", "revenue"), touched)
