"""Support reports: backlog, SLA compliance, response and resolution times, CSAT and NPS.

Percentages are exact decimals rounded half-even to one place; times are whole seconds. p90 is
the nearest-rank 90th percentile (the smallest value at or above 90% of the observations), the
median is the usual middle value (mean of the two middle ones for an even count).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from servicekit.identity import Identity
from support_service.adapters import tables as t
from support_service.domain.sla import PRIORITIES, TARGETS
from support_service.domain.surveys import is_satisfied, nps_category
from support_service.domain.tickets import UNRESOLVED
from support_service.service.access import ticket_filter

k = t.tickets.c
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal, half-even; None for nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_EVEN)


def p90(values: list[int]) -> int | None:
    """The nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def middle(values: list[int]) -> Decimal | None:
    """The median, one decimal."""
    if not values:
        return None
    return Decimal(str(median(values))).quantize(ONE_PLACE, rounding=ROUND_HALF_EVEN)


def _visible(session, identity: Identity, extra: list) -> list:
    conditions = list(extra)
    visible = ticket_filter(session, identity)
    if visible is not None:
        conditions.append(visible)
    return conditions


def period_start(at: datetime, interval: str, tz: ZoneInfo) -> str:
    """The label of the period ``at`` falls in: a local date (day), the Monday (week) or the
    first of the month (month)."""
    local = at.astimezone(tz).date()
    if interval == "day":
        return local.isoformat()
    if interval == "week":
        return (local - timedelta(days=local.weekday())).isoformat()
    if interval == "month":
        return local.replace(day=1).isoformat()
    return "all"


# -- backlog ------------------------------------------------------------------------------------


def backlog(session, identity: Identity, filters: dict[str, Any], now: datetime) -> dict:
    """Unresolved tickets by status and priority, with breached and unassigned counts."""
    conditions = _visible(session, identity, [k.status.in_(UNRESOLVED)])
    for name in ("group_id", "agent_id"):
        if filters.get(name):
            conditions.append(getattr(k, name) == str(filters[name]))
    if filters.get("category"):
        conditions.append(k.category.in_(filters["category"]))
    rows = session.execute(
        select(k.status, k.priority, func.count(), func.min(k.created_at))
        .where(*conditions)
        .group_by(k.status, k.priority)
    ).all()
    matrix = {s: dict.fromkeys(PRIORITIES, 0) for s in UNRESOLVED}
    oldest = None
    for status, priority, count, first in rows:
        matrix.setdefault(status, dict.fromkeys(PRIORITIES, 0))[priority] = count
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)
            oldest = first if oldest is None or first < oldest else oldest
    breached = session.execute(
        select(func.count()).select_from(t.tickets).where(*conditions, k.sla_breached)
    ).scalar_one()
    unassigned = session.execute(
        select(func.count()).select_from(t.tickets).where(*conditions, k.agent_id.is_(None))
    ).scalar_one()
    by_status = {s: sum(v.values()) for s, v in matrix.items()}
    by_priority = {p: sum(matrix[s][p] for s in matrix) for p in PRIORITIES}
    return {
        "generated_at": now,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "matrix": [
            {"status": s, "priority": p, "count": matrix[s][p]} for s in matrix for p in PRIORITIES
        ],
        "sla_breached": breached,
        "unassigned": unassigned,
        "oldest_created_at": oldest,
        "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else None,
    }


# -- SLA compliance --------------------------------------------------------------------------


def sla_compliance(session, identity: Identity, filters: dict[str, Any]) -> dict:
    """Met and breached counts and shares per policy and target in the period."""
    r = t.ticket_sla_records.c
    conditions = [
        r.started_at >= filters["start"],
        r.started_at < filters["end"],
        r.target_minutes.is_not(None),
        r.policy_id.is_not(None),
    ]
    if filters.get("policy_id"):
        conditions.append(r.policy_id == str(filters["policy_id"]))
    visible = ticket_filter(session, identity)
    statement = select(r.policy_id, r.target, r.met, r.breached, r.cancelled).where(
        and_(*conditions)
    )
    if visible is not None:
        statement = statement.join(t.tickets, t.tickets.c.id == r.ticket_id).where(visible)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"met": 0, "breached": 0, "in_progress": 0, "not_applicable": 0}
    )
    for policy_id, target, met, breached, cancelled in session.execute(statement):
        bucket = counts[(policy_id, target)]
        if breached:
            bucket["breached"] += 1
        elif met:
            bucket["met"] += 1
        elif cancelled:
            bucket["not_applicable"] += 1
        else:
            bucket["in_progress"] += 1
    names = dict(session.execute(select(t.sla_policies.c.id, t.sla_policies.c.name)).all())
    policies: dict[str, dict] = {}
    for (policy_id, target), c in sorted(counts.items()):
        entry = policies.setdefault(
            policy_id,
            {"policy_id": policy_id, "policy_name": names.get(policy_id), "targets": []},
        )
        decided = c["met"] + c["breached"]
        entry["targets"].append(
            {
                "target": target,
                "met": c["met"],
                "breached": c["breached"],
                "in_progress": c["in_progress"],
                "not_applicable": c["not_applicable"],
                "met_percent": percent(c["met"], decided),
                "breached_percent": percent(c["breached"], decided),
            }
        )
    for entry in policies.values():
        entry["targets"].sort(key=lambda x: TARGETS.index(x["target"]))
    return {
        "start": filters["start"],
        "end": filters["end"],
        "policies": sorted(
            policies.values(), key=lambda p: (p["policy_name"] or "", p["policy_id"])
        ),
    }


# -- response and resolution times -------------------------------------------------------------


def _stats(values_business: list[int], values_calendar: list[int]) -> dict:
    return {
        "count": len(values_business),
        "business_median_seconds": middle(values_business),
        "business_p90_seconds": p90(values_business),
        "calendar_median_seconds": middle(values_calendar),
        "calendar_p90_seconds": p90(values_calendar),
    }


def response_times(session, identity: Identity, filters: dict[str, Any]) -> dict:
    """First-response and resolution times per period (median and p90)."""
    tz = ZoneInfo(filters.get("timezone") or "UTC")
    interval = filters.get("interval", "none")
    extra = []
    for name in ("group_id", "agent_id"):
        if filters.get(name):
            extra.append(getattr(k, name) == str(filters[name]))
    if filters.get("priority"):
        extra.append(k.priority.in_(filters["priority"]))
    first = session.execute(
        select(
            k.first_responded_at,
            k.first_response_business_seconds,
            k.first_response_calendar_seconds,
        ).where(
            and_(
                *_visible(session, identity, extra),
                k.first_responded_at >= filters["start"],
                k.first_responded_at < filters["end"],
            )
        )
    ).all()
    resolved = session.execute(
        select(k.resolved_at, k.resolution_business_seconds, k.resolution_calendar_seconds).where(
            and_(
                *_visible(session, identity, extra),
                k.resolved_at.is_not(None),
                k.resolved_at >= filters["start"],
                k.resolved_at < filters["end"],
            )
        )
    ).all()
    periods: dict[str, dict[str, list]] = defaultdict(
        lambda: {"fb": [], "fc": [], "rb": [], "rc": []}
    )
    for at, business, calendar in first:
        bucket = periods[period_start(_aware(at), interval, tz)]
        bucket["fb"].append(business or 0)
        bucket["fc"].append(calendar or 0)
    for at, business, calendar in resolved:
        bucket = periods[period_start(_aware(at), interval, tz)]
        bucket["rb"].append(business or 0)
        bucket["rc"].append(calendar or 0)
    return {
        "start": filters["start"],
        "end": filters["end"],
        "interval": interval,
        "timezone": str(tz),
        "periods": [
            {
                "period": label,
                "first_response": _stats(v["fb"], v["fc"]),
                "resolution": _stats(v["rb"], v["rc"]),
            }
            for label, v in sorted(periods.items())
        ],
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- satisfaction --------------------------------------------------------------------------------


def satisfaction(session, identity: Identity, filters: dict[str, Any]) -> dict:
    """CSAT and NPS per period, from the answers given in it."""
    tz = ZoneInfo(filters.get("timezone") or "UTC")
    interval = filters.get("interval", "none")
    s = t.surveys.c
    conditions = [
        s.answered_at.is_not(None),
        s.answered_at >= filters["start"],
        s.answered_at < filters["end"],
    ]
    for name in ("group_id", "agent_id", "policy_id"):
        if filters.get(name):
            conditions.append(getattr(s, name) == str(filters[name]))
    visible = ticket_filter(session, identity)
    if visible is not None:
        conditions.append(s.ticket_id.in_(select(k.id).where(visible)))
    rows = session.execute(select(s.answered_at, s.kind, s.score).where(*conditions)).all()
    sent_conditions = [
        s.sent_at.is_not(None),
        s.sent_at >= filters["start"],
        s.sent_at < filters["end"],
        *conditions[3:],
    ]
    sent = dict(
        session.execute(
            select(s.kind, func.count()).where(and_(*sent_conditions)).group_by(s.kind)
        ).all()
    )
    periods: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"csat": [], "nps": []})
    for at, kind, score in rows:
        periods[period_start(_aware(at), interval, tz)][kind].append(score)
    return {
        "start": filters["start"],
        "end": filters["end"],
        "interval": interval,
        "timezone": str(tz),
        "surveys_sent": {"csat": sent.get("csat", 0), "nps": sent.get("nps", 0)},
        "periods": [
            {"period": label, "csat": _csat(v["csat"]), "nps": _nps(v["nps"])}
            for label, v in sorted(periods.items())
        ],
    }


def _csat(scores: list[int]) -> dict:
    if not scores:
        return {"responses": 0, "average": None, "satisfied_percent": None}
    average = (Decimal(sum(scores)) / Decimal(len(scores))).quantize(
        TWO_PLACES, rounding=ROUND_HALF_EVEN
    )
    satisfied = sum(1 for x in scores if is_satisfied("csat", x))
    return {
        "responses": len(scores),
        "average": average,
        "satisfied_percent": percent(satisfied, len(scores)),
    }


def _nps(scores: list[int]) -> dict:
    if not scores:
        return {
            "responses": 0,
            "promoters_percent": None,
            "passives_percent": None,
            "detractors_percent": None,
            "nps": None,
        }
    classes = [nps_category(x) for x in scores]
    n = len(scores)
    promoters, detractors = classes.count("promoter"), classes.count("detractor")
    score = (Decimal(promoters - detractors) * 100 / Decimal(n)).quantize(
        ONE_PLACE, rounding=ROUND_HALF_EVEN
    )
    return {
        "responses": n,
        "promoters_percent": percent(promoters, n),
        "passives_percent": percent(classes.count("passive"), n),
        "detractors_percent": percent(detractors, n),
        "nps": score,
    }
