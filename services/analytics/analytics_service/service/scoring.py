"""The scoring job: RFM, churn risk and CLV for every customer, published when they change.

Runs in the worker on a schedule (``MMS_ANALYTICS_SCORING_INTERVAL`` seconds, default 300; a run
is skipped when no purchase history changed and the day is the same) and
on demand (``analytics-service score``). Scores are recomputed for every customer with purchases;
only those whose published values changed (segment, R/F/M, CLV, churn risk) get an
``analytics.customer.scored`` event, through the outbox in the same transaction as the stored
score. Erased and merged customers are dropped; a customer whose every purchase was cancelled or
returned is told so once (segment ``no_purchases``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.domain.money import ZERO
from analytics_service.domain.scores import (
    CustomerScore,
    CustomerScored,
    PurchaseSummary,
    no_purchases,
    score_customers,
)
from analytics_service.service.reports.base import sum_amount
from servicekit.config import env_int
from servicekit.db import Database
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory

CHUNK = 500


@dataclass(frozen=True)
class ScoringResult:
    scored: int
    published: int
    removed: int
    as_of: date


def horizon_months() -> int:
    return env_int("ANALYTICS_CLV_HORIZON_MONTHS", 24)


def score_row(score: CustomerScore, computed_at: datetime) -> dict:
    return {
        "customer_id": score.customer_id,
        "as_of": score.as_of,
        "recency_days": score.recency_days,
        "frequency": score.frequency,
        "monetary": score.monetary,
        "r": score.r,
        "f": score.f,
        "m": score.m,
        "score": score.score,
        "segment": score.segment,
        "first_order_day": score.first_order_day,
        "last_order_day": score.last_order_day,
        "average_order_value": score.average_order_value,
        "clv_historic": score.clv_historic,
        "clv_predicted": score.clv_predicted,
        "churn_risk": score.churn_risk,
        "computed_at": computed_at,
    }


def history_signature(db: Database) -> tuple:
    """What scores depend on, in a few aggregates: today's date, the purchase histories, the
    erased and merged customers. Equal signatures mean a rescoring would change nothing."""
    cs, c = t.customer_sales.c, t.customers.c
    with db.session() as session:
        histories = session.execute(
            select(func.count(), func.sum(cs.orders), sum_amount(cs.net), func.max(cs.last_day))
        ).one()
        gone = session.execute(
            select(func.count()).where(c.status.in_(("erased", "merged")))
        ).scalar()
    return (utcnow().date(), tuple(histories), gone)


def summarise(db: Database, uow_factory: UnitOfWorkFactory, scores, excluded) -> None:
    """Rewrite the per-segment/country/cohort sums the RFM and CLV reports read."""
    with db.session() as session:
        countries = dict(
            session.execute(select(t.customers.c.customer_id, t.customers.c.country)).all()
        )
    sums: dict[tuple, list] = {}
    for score in scores:
        if score.customer_id in excluded or score.frequency == 0:
            continue
        cohort = score.first_order_day.replace(day=1)
        key = (
            score.segment,
            score.r,
            score.f,
            score.m,
            countries.get(score.customer_id) or "",
            cohort,
        )
        cell = sums.setdefault(key, [0, 0, 0, ZERO, ZERO, ZERO, ZERO, ZERO])
        for index, value in enumerate(
            (
                1,
                score.recency_days,
                score.frequency,
                score.monetary,
                score.clv_historic,
                score.clv_predicted,
                score.average_order_value,
                score.churn_risk,
            )
        ):
            cell[index] += value
    names = ("segment", "r", "f", "m", "country", "cohort")
    measures = (
        "customers",
        "recency_days",
        "frequency",
        "monetary",
        "clv_historic",
        "clv_predicted",
        "average_order_value",
        "churn_risk",
    )
    rows = [
        {**dict(zip(names, key, strict=True)), **dict(zip(measures, cell, strict=True))}
        for key, cell in sums.items()
    ]
    with uow_factory() as uow:
        uow.session.execute(delete(t.score_summary))
        Tx(uow.session).insert(t.score_summary, rows)
        uow.commit()


def recompute_scores(
    db: Database,
    uow_factory: UnitOfWorkFactory,
    currency: str,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
) -> ScoringResult:
    """Score every customer as of ``as_of`` (default today, UTC) and publish what changed."""
    now = now or utcnow()
    as_of = as_of or now.date()
    c, cs, sc = t.customers.c, t.customer_sales.c, t.customer_scores.c
    with db.session() as session:
        excluded = set(
            session.execute(
                select(c.customer_id).where(c.status.in_(("erased", "merged")))
            ).scalars()
        )
        summaries = [
            PurchaseSummary(row.customer_id, row.orders, row.net, row.first_day, row.last_day)
            for row in session.execute(
                select(cs.customer_id, cs.orders, cs.net, cs.first_day, cs.last_day)
            )
            if row.customer_id not in excluded
        ]
        published = dict(session.execute(select(sc.customer_id, sc.published_fingerprint)).all())
    scores = score_customers(summaries, as_of, horizon_months())
    scored_ids = {s.customer_id for s in scores}
    scores += [
        no_purchases(cid, as_of)
        for cid in sorted(published)
        if cid not in scored_ids and cid not in excluded
    ]
    removed = sorted(cid for cid in published if cid in excluded)
    sent = 0
    for start in range(0, len(scores), CHUNK):
        chunk = scores[start : start + CHUNK]
        with uow_factory() as uow:
            tx = Tx(uow.session)
            changed, unchanged = [], []
            for score in chunk:
                fingerprint = score.fingerprint()
                row = score_row(score, now)
                if published.get(score.customer_id) == fingerprint:
                    unchanged.append(row)
                    continue
                changed.append({**row, "published_fingerprint": fingerprint, "published_at": now})
                uow.add_event(CustomerScored(score, currency, now))
            tx.upsert(t.customer_scores, changed, ("customer_id",))
            tx.upsert(t.customer_scores, unchanged, ("customer_id",))
            uow.commit()
            sent += len(changed)
    if removed:
        with uow_factory() as uow:
            Tx(uow.session).delete_in(t.customer_scores, "customer_id", removed)
            uow.commit()
    summarise(db, uow_factory, scores, excluded)
    return ScoringResult(scored=len(scores), published=sent, removed=len(removed), as_of=as_of)
