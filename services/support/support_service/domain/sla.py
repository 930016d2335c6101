"""SLA policies and the clocks that measure a ticket against them.

A policy matches tickets by conditions (priority, category, channel, customer tier and tags;
policies are ordered and the first match wins) and sets targets in business minutes for the first
response, each next response and the resolution, counted on a business calendar.

Every ticket carries one clock per target, even without a policy: a clock always measures
business time (pauses excluded) and, when it has a target, also knows its deadline, when to warn
and whether it was met. Clocks pause while the ticket waits on the customer and resume with the
budget they had left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from support_service.domain.businesstime import BusinessCalendar
from support_service.domain.errors import InvalidValue

TARGETS = ("first_response", "next_response", "resolution")
PRIORITIES = ("low", "normal", "high", "urgent")
CATEGORIES = ("question", "complaint", "repair", "return", "billing")
CHANNELS = ("email", "phone", "web", "chat")
SURVEY_KINDS = ("csat", "nps")
SURVEY_CHOICES = (*SURVEY_KINDS, "none")
LOW_SCORE_ACTIONS = ("reopen", "complaint", "none")
MAX_TARGET_MINUTES = 60 * 24 * 365
_US = timedelta(microseconds=1)


def micros(delta: timedelta) -> int:
    return delta // _US


def from_micros(value: int) -> timedelta:
    return timedelta(microseconds=value)


@dataclass(frozen=True)
class Conditions:
    """Which tickets a policy covers; an empty list means "any"."""

    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    customer_tiers: tuple[str, ...] = ()
    customer_tags: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Conditions:
        data = data or {}
        unknown = set(data) - {
            "priorities",
            "categories",
            "channels",
            "customer_tiers",
            "customer_tags",
        }
        if unknown:
            raise InvalidValue(f"unknown SLA conditions: {', '.join(sorted(unknown))}")
        out = cls(
            priorities=_choices(data.get("priorities"), PRIORITIES, "priorities"),
            categories=_choices(data.get("categories"), CATEGORIES, "categories"),
            channels=_choices(data.get("channels"), CHANNELS, "channels"),
            customer_tiers=tuple(
                sorted({str(t).strip().lower() for t in data.get("customer_tiers") or ()})
            ),
            customer_tags=tuple(
                sorted({str(t).strip().lower() for t in data.get("customer_tags") or ()})
            ),
        )
        return out

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "priorities": list(self.priorities),
            "categories": list(self.categories),
            "channels": list(self.channels),
            "customer_tiers": list(self.customer_tiers),
            "customer_tags": list(self.customer_tags),
        }

    def matches(
        self,
        *,
        priority: str,
        category: str,
        channel: str,
        tier: str | None,
        tags: tuple[str, ...] | list[str] = (),
    ) -> bool:
        """True when every condition holds for the ticket's facts."""
        if self.priorities and priority not in self.priorities:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.channels and channel not in self.channels:
            return False
        if self.customer_tiers and (tier or "").lower() not in self.customer_tiers:
            return False
        return not (self.customer_tags and not set(self.customer_tags) & {t.lower() for t in tags})


def _choices(values, allowed: tuple[str, ...], name: str) -> tuple[str, ...]:
    values = tuple(sorted(set(values or ())))
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidValue(f"{name} must be among {', '.join(allowed)}; got {', '.join(bad)}")
    return values


@dataclass(eq=False)
class SlaPolicy:
    id: str
    name: str
    position: int
    conditions: Conditions
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warning_percent: int | None = None  # None: the service-wide default
    calendar_id: str | None = None  # None: by customer country, else the default calendar
    survey_kind: str | None = None  # csat, nps, none; None: the service-wide default
    survey_delay_minutes: int | None = None
    low_score_action: str | None = None
    low_score_threshold: int | None = None
    description: str | None = None
    active: bool = True
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, data: dict[str, Any], *, now: datetime) -> SlaPolicy:
        """A policy from API data (validated)."""
        policy = cls(
            id=str(uuid.uuid4()),
            name="",
            position=0,
            conditions=Conditions(),
            created_at=now,
            updated_at=now,
        )
        policy.apply(data, now=now)
        return policy

    def apply(self, data: dict[str, Any], *, now: datetime) -> list[str]:
        """Change fields; return the names that changed."""
        changed = []
        for key, value in data.items():
            if key == "conditions":
                value = Conditions.from_dict(value)
            if key not in POLICY_FIELDS:
                raise InvalidValue(f"cannot set {key} on an SLA policy")
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        self.validate()
        if changed:
            self.updated_at = now
        return changed

    def validate(self) -> None:
        """Refuse targets, thresholds and survey settings that cannot work."""
        if not self.name or not self.name.strip():
            raise InvalidValue("an SLA policy needs a name")
        for target in TARGETS:
            minutes = self.target_minutes(target)
            if minutes is not None and not (1 <= minutes <= MAX_TARGET_MINUTES):
                raise InvalidValue(f"{target}_minutes must be between 1 and {MAX_TARGET_MINUTES}")
        if self.warning_percent is not None and not (1 <= self.warning_percent <= 99):
            raise InvalidValue("warning_percent must be between 1 and 99")
        if self.survey_kind is not None and self.survey_kind not in SURVEY_CHOICES:
            raise InvalidValue(f"survey_kind must be one of {', '.join(SURVEY_CHOICES)}")
        if self.low_score_action is not None and self.low_score_action not in LOW_SCORE_ACTIONS:
            raise InvalidValue(f"low_score_action must be one of {', '.join(LOW_SCORE_ACTIONS)}")
        if self.low_score_threshold is not None:
            kind = self.survey_kind if self.survey_kind in SURVEY_KINDS else None
            top = 5 if kind == "csat" else 10
            if not (0 <= self.low_score_threshold <= top):
                raise InvalidValue(f"low_score_threshold must be between 0 and {top}")

    def target_minutes(self, target: str) -> int | None:
        return getattr(self, f"{target}_minutes")


POLICY_FIELDS = (
    "name",
    "description",
    "position",
    "active",
    "conditions",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "calendar_id",
    "survey_kind",
    "survey_delay_minutes",
    "low_score_action",
    "low_score_threshold",
)


def match_policy(
    policies: list[SlaPolicy],
    *,
    priority: str,
    category: str,
    channel: str,
    tier: str | None,
    tags: tuple[str, ...] | list[str] = (),
) -> SlaPolicy | None:
    """The first active policy (by position, then name) whose conditions all hold."""
    for policy in sorted(policies, key=lambda p: (p.position, p.name, p.id)):
        if policy.active and policy.conditions.matches(
            priority=priority, category=category, channel=channel, tier=tier, tags=tags
        ):
            return policy
    return None


@dataclass
class SlaClock:
    """Business time spent on one target (one cycle of it), with its deadline when it has one.

    ``elapsed_us`` holds the business time of finished segments; a running clock adds the time
    since ``segment_started_at``. Paused and finished clocks have no running segment.
    """

    target: str
    cycle: int
    started_at: datetime
    target_us: int | None = None
    warning_percent: int = 80
    segment_started_at: datetime | None = None
    elapsed_us: int = 0
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    breached: bool = False
    met: bool | None = None
    completed_at: datetime | None = None
    cancelled: bool = False

    @classmethod
    def start(
        cls,
        target: str,
        minutes: int | None,
        now: datetime,
        cal: BusinessCalendar,
        *,
        warning_percent: int,
        cycle: int = 1,
        paused: bool = False,
    ) -> SlaClock:
        """A clock for ``target`` starting at ``now`` (with a deadline when minutes are set)."""
        clock = cls(
            target=target,
            cycle=cycle,
            started_at=now,
            target_us=minutes * 60_000_000 if minutes else None,
            warning_percent=warning_percent,
            segment_started_at=None if paused else now,
        )
        clock._schedule(cal)
        return clock

    # -- state ------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.completed_at is not None

    @property
    def running(self) -> bool:
        return self.segment_started_at is not None and not self.finished

    @property
    def paused(self) -> bool:
        return not self.finished and self.segment_started_at is None

    @property
    def target_minutes(self) -> int | None:
        return self.target_us // 60_000_000 if self.target_us is not None else None

    def elapsed(self, cal: BusinessCalendar, now: datetime) -> timedelta:
        """Business time spent so far (pauses excluded)."""
        extra = timedelta(0)
        if self.running and now > self.segment_started_at:
            extra = cal.between(self.segment_started_at, now)
        return from_micros(self.elapsed_us) + extra

    def remaining(self, cal: BusinessCalendar, now: datetime) -> timedelta | None:
        """Business time left before the deadline (negative once overdue); None without one."""
        if self.target_us is None:
            return None
        return from_micros(self.target_us) - self.elapsed(cal, now)

    def _schedule(self, cal: BusinessCalendar) -> None:
        if self.target_us is None:
            self.due_at = self.warn_at = None
            return
        if not self.running:
            # A paused clock has no deadline: it depends on when the customer answers.
            self.due_at = self.warn_at = None
            return
        start = self.segment_started_at
        left = self.target_us - self.elapsed_us
        if left > 0:
            self.due_at = cal.add(start, from_micros(left))
        elif self.due_at is None or self.due_at > start:
            self.due_at = start  # already overdue when it (re)started
        threshold = self.target_us * self.warning_percent // 100
        warn_left = threshold - self.elapsed_us
        self.warn_at = cal.add(start, from_micros(warn_left)) if warn_left > 0 else start

    # -- transitions ------------------------------------------------------------------------

    def pause(self, now: datetime, cal: BusinessCalendar) -> None:
        """Stop counting (the customer has the ball); the deadline is unknown until resumed."""
        if not self.running:
            return
        self._fold(now, cal)
        self.segment_started_at = None
        self.due_at = self.warn_at = None

    def _fold(self, now: datetime, cal: BusinessCalendar) -> None:
        """Add the running segment's business time to ``elapsed_us``."""
        if self.segment_started_at is not None and now > self.segment_started_at:
            self.elapsed_us += micros(cal.between(self.segment_started_at, now))

    def resume(self, now: datetime, cal: BusinessCalendar) -> None:
        """Count again from ``now`` with the budget that was left."""
        if not self.paused:
            return
        self.segment_started_at = now
        self._schedule(cal)

    def complete(self, now: datetime, cal: BusinessCalendar) -> bool:
        """Stop the clock and judge it; True when this completion is what breaches it."""
        if self.finished:
            return False
        if self.running:
            self._fold(now, cal)
        self.segment_started_at = None
        self.completed_at = now
        self.warn_at = None
        if self.target_us is None:
            self.met = None
            return False
        self.met = self.elapsed_us <= self.target_us and not self.breached
        if not self.met and not self.breached:
            self.breached = True
            return True
        return False

    def cancel(self, now: datetime, cal: BusinessCalendar) -> None:
        """Stop without judging (the target no longer applies, e.g. resolved before a reply)."""
        if self.finished:
            return
        if self.running:
            self._fold(now, cal)
        self.segment_started_at = None
        self.completed_at = now
        self.cancelled = True
        self.met = False if self.breached else None
        self.warn_at = None

    def reopen(self, now: datetime, cal: BusinessCalendar) -> None:
        """Run again after completion (a reopened ticket's resolution clock)."""
        self.completed_at = None
        self.cancelled = False
        self.met = None
        self.segment_started_at = now
        self._schedule(cal)

    def retarget(
        self,
        minutes: int | None,
        warning_percent: int,
        now: datetime,
        old: BusinessCalendar,
        new: BusinessCalendar,
    ) -> None:
        """Apply a new target (and calendar) keeping the business time already spent."""
        if self.finished:
            return
        if self.running:
            self._fold(now, old)
            self.segment_started_at = now
        new_us = minutes * 60_000_000 if minutes else None
        if new_us != self.target_us:
            self.due_at = None
        self.target_us = new_us
        self.warning_percent = warning_percent
        self._schedule(new)

    def checks_due(self, now: datetime) -> list[str]:
        """Mark and return what became due: ``warning`` and/or ``breach``, each only once."""
        if not self.running or self.target_us is None:
            return []
        found = []
        overdue = self.due_at is not None and self.due_at <= now
        if not self.warned and self.warn_at is not None and self.warn_at <= now:
            self.warned = True
            if not overdue:
                found.append("warning")
        if overdue and not self.breached:
            self.breached = True
            self.warned = True
            found.append("breach")
        return found

    def next_check_at(self) -> datetime | None:
        """When the scan should next look at this clock (warning or deadline)."""
        if not self.running or self.target_us is None:
            return None
        candidates = []
        if not self.warned and self.warn_at is not None:
            candidates.append(self.warn_at)
        if not self.breached and self.due_at is not None:
            candidates.append(self.due_at)
        return min(candidates) if candidates else None

    # -- persistence --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cycle": self.cycle,
            "started_at": _iso(self.started_at),
            "target_us": self.target_us,
            "warning_percent": self.warning_percent,
            "segment_started_at": _iso(self.segment_started_at),
            "elapsed_us": self.elapsed_us,
            "due_at": _iso(self.due_at),
            "warn_at": _iso(self.warn_at),
            "warned": self.warned,
            "breached": self.breached,
            "met": self.met,
            "completed_at": _iso(self.completed_at),
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaClock:
        return cls(
            target=data["target"],
            cycle=data["cycle"],
            started_at=_dt(data["started_at"]),
            target_us=data.get("target_us"),
            warning_percent=data.get("warning_percent", 80),
            segment_started_at=_dt(data.get("segment_started_at")),
            elapsed_us=data.get("elapsed_us", 0),
            due_at=_dt(data.get("due_at")),
            warn_at=_dt(data.get("warn_at")),
            warned=data.get("warned", False),
            breached=data.get("breached", False),
            met=data.get("met"),
            completed_at=_dt(data.get("completed_at")),
            cancelled=data.get("cancelled", False),
        )


@dataclass
class SlaState:
    """The SLA side of a ticket: which policy and calendar apply, and the clock of each target."""

    policy_id: str | None
    policy_name: str | None
    calendar_id: str | None
    warning_percent: int
    clocks: dict[str, SlaClock] = field(default_factory=dict)
    calendar_version: int | None = None
    retired: list[SlaClock] = field(default_factory=list, repr=False)

    def clock(self, target: str) -> SlaClock | None:
        return self.clocks.get(target)

    def all_clocks(self) -> list[SlaClock]:
        return [self.clocks[t] for t in TARGETS if t in self.clocks]

    def next_check_at(self) -> datetime | None:
        """The earliest next check of any clock (None: nothing to watch)."""
        times = [c.next_check_at() for c in self.clocks.values()]
        times = [t for t in times if t is not None]
        return min(times) if times else None

    @property
    def breached(self) -> bool:
        return any(c.breached for c in self.clocks.values())

    def replace_clock(self, clock: SlaClock) -> None:
        old = self.clocks.get(clock.target)
        if old is not None and old.cycle != clock.cycle:
            self.retired.append(old)
        self.clocks[clock.target] = clock

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "policy_name": self.policy_name,
            "calendar_id": self.calendar_id,
            "calendar_version": self.calendar_version,
            "warning_percent": self.warning_percent,
            "clocks": {t: c.to_dict() for t, c in self.clocks.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaState:
        return cls(
            policy_id=data.get("policy_id"),
            policy_name=data.get("policy_name"),
            calendar_id=data.get("calendar_id"),
            calendar_version=data.get("calendar_version"),
            warning_percent=data.get("warning_percent", 80),
            clocks={t: SlaClock.from_dict(c) for t, c in (data.get("clocks") or {}).items()},
        )

    def copy(self) -> SlaState:
        return replace(self, clocks={t: replace(c) for t, c in self.clocks.items()}, retired=[])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
