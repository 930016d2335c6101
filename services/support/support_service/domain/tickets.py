"""The ticket aggregate: classification, status machine, assignment, SLA clocks, complaints.

Status machine::

    new ──► open ◄──► pending (waiting on the customer: SLA clocks pause)
     │        ▲ ╲
     │        │  ► on_hold (waiting on a third party: clocks run)
     └────────┴──► resolved ──► closed (final)
                      │
                      └── reopen (within the reopen window) ──► open

Every change bumps ``version`` and records an event carrying a snapshot at that revision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from servicekit.domain import EventRecorder
from support_service.domain import events
from support_service.domain.businesstime import BusinessCalendar
from support_service.domain.errors import InvalidTransition, InvalidValue, StateConflict
from support_service.domain.sla import (
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    TARGETS,
    SlaClock,
    SlaPolicy,
    SlaState,
)

STATUSES = ("new", "open", "pending", "on_hold", "resolved", "closed")
UNRESOLVED = ("new", "open", "pending", "on_hold")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "on_hold", "resolved"),
    "open": ("pending", "on_hold", "resolved"),
    "pending": ("open", "on_hold", "resolved"),
    "on_hold": ("open", "pending", "resolved"),
    "resolved": ("open", "closed"),
    "closed": (),
}
ROOT_CAUSE_CATEGORIES = (
    "product_defect",
    "delivery",
    "service",
    "billing",
    "communication",
    "documentation",
    "other",
)
ORIGINS = ("agent", "api", "survey_follow_up", "customer")
CLOSE_REASONS = ("manual", "auto", "merged")
MAX_TAGS = 30
EDITABLE = ("subject", "category", "channel", "priority", "tags", "order_id", "contact")
CLASSIFYING = ("category", "channel", "priority", "tags")


def normalise_tags(tags) -> list[str]:
    """Lower-case, single-spaced, unique, sorted tags (at most 30)."""
    out = []
    for tag in tags or ():
        clean = " ".join(str(tag).split()).lower()
        if not clean:
            continue
        if len(clean) > 50:
            raise InvalidValue("tags are at most 50 characters")
        if clean not in out:
            out.append(clean)
    if len(out) > MAX_TAGS:
        raise InvalidValue(f"a ticket has at most {MAX_TAGS} tags")
    return sorted(out)


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


@dataclass(frozen=True)
class Contact:
    """Who to answer (may differ from the customer's primary contact); None: the customer's."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email, "phone": self.phone}


@dataclass(frozen=True)
class Complaint:
    root_cause_category: str
    root_cause: str
    corrective_action: str
    recorded_by: str | None
    recorded_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "root_cause_category": self.root_cause_category,
            "root_cause": self.root_cause,
            "corrective_action": self.corrective_action,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Complaint | None:
        if not data:
            return None
        return cls(
            data["root_cause_category"],
            data["root_cause"],
            data["corrective_action"],
            data.get("recorded_by"),
            datetime.fromisoformat(data["recorded_at"]),
        )


@dataclass(frozen=True)
class Satisfaction:
    survey_id: str
    kind: str
    score: int
    answered_at: datetime


@dataclass(eq=False)
class Ticket(EventRecorder):
    id: str
    number: str
    customer_id: str
    subject: str
    category: str
    channel: str
    priority: str
    sla: SlaState
    status: str = "new"
    tags: list[str] = field(default_factory=list)
    contact: Contact = field(default_factory=Contact)
    order_id: str | None = None
    group_id: str | None = None
    agent_id: str | None = None
    complaint: Complaint | None = None
    parent_ticket_id: str | None = None
    merged_into: str | None = None
    close_reason: str | None = None
    origin: str = "agent"
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status_changed_at: datetime | None = None
    first_responded_at: datetime | None = None
    first_response_business_seconds: int | None = None
    first_response_calendar_seconds: int | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_business_seconds: int | None = None
    resolution_calendar_seconds: int | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0
    last_customer_message_at: datetime | None = None
    last_agent_reply_at: datetime | None = None
    satisfaction: Satisfaction | None = None
    version: int = 0
    persisted_version: int = 0

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        number: str,
        customer_id: str,
        subject: str,
        category: str,
        channel: str,
        priority: str = "normal",
        tags=(),
        contact: Contact | None = None,
        order_id: str | None = None,
        group_id: str | None = None,
        parent_ticket_id: str | None = None,
        origin: str = "agent",
        created_by: str | None = None,
        policy: SlaPolicy | None,
        calendar_id: str | None,
        calendar: BusinessCalendar,
        warning_percent: int,
        now: datetime,
        ticket_id: str | None = None,
    ) -> Ticket:
        """A new ticket with its SLA clocks started (status new)."""
        _check_choice("category", category, CATEGORIES)
        _check_choice("channel", channel, CHANNELS)
        _check_choice("priority", priority, PRIORITIES)
        _check_choice("origin", origin, ORIGINS)
        pct = (policy.warning_percent if policy else None) or warning_percent
        sla = SlaState(
            policy_id=policy.id if policy else None,
            policy_name=policy.name if policy else None,
            calendar_id=calendar_id,
            warning_percent=pct,
            calendar_version=calendar.version,
        )
        for target in ("first_response", "resolution"):
            minutes = policy.target_minutes(target) if policy else None
            sla.clocks[target] = SlaClock.start(target, minutes, now, calendar, warning_percent=pct)
        ticket = cls(
            id=ticket_id or str(uuid.uuid4()),
            number=number,
            customer_id=customer_id,
            subject=_subject(subject),
            category=category,
            channel=channel,
            priority=priority,
            sla=sla,
            tags=normalise_tags(tags),
            contact=contact or Contact(),
            order_id=order_id,
            group_id=group_id,
            parent_ticket_id=parent_ticket_id,
            origin=origin,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
            version=1,
        )
        ticket.record(
            events.TicketOpened(
                ticket.snapshot(),
                origin,
                sla.clocks["first_response"].due_at,
                sla.clocks["resolution"].due_at,
            )
        )
        return ticket

    # -- reading ----------------------------------------------------------------------------

    @property
    def is_resolved(self) -> bool:
        return self.status in ("resolved", "closed")

    @property
    def sla_breached(self) -> bool:
        return self.sla.breached

    @property
    def sla_next_check_at(self) -> datetime | None:
        return self.sla.next_check_at() if not self.is_resolved else None

    def snapshot(self) -> dict[str, Any]:
        """The ticket as its events describe it, at the current revision."""
        return {
            "ticket_id": self.id,
            "number": self.number,
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "category": self.category,
            "channel": self.channel,
            "priority": self.priority,
            "status": self.status,
            "group_id": self.group_id,
            "agent_id": self.agent_id,
            "policy_id": self.sla.policy_id,
            "calendar_id": self.sla.calendar_id,
            "tags": list(self.tags),
            "parent_ticket_id": self.parent_ticket_id,
            "created_at": self.created_at,
            "revision": self.version,
        }

    # -- plumbing ---------------------------------------------------------------------------

    def _bump(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _transition(self, target: str, now: datetime) -> str:
        if target not in TRANSITIONS[self.status]:
            if self.status == "closed":
                raise InvalidTransition(f"ticket {self.number} is closed; closed is final")
            raise InvalidTransition(
                f"ticket {self.number} is {self.status}; it cannot become {target} from there"
            )
        before = self.status
        self.status = target
        self.status_changed_at = now
        return before

    def _ensure_not_closed(self) -> None:
        if self.status == "closed":
            raise InvalidTransition(f"ticket {self.number} is closed; closed is final")

    def _pause_all(self, now: datetime, cal: BusinessCalendar) -> None:
        for clock in self.sla.clocks.values():
            clock.pause(now, cal)

    def _resume_all(self, now: datetime, cal: BusinessCalendar) -> None:
        for clock in self.sla.clocks.values():
            clock.resume(now, cal)

    def _breach_on_completion(self, clock: SlaClock, now: datetime) -> None:
        self.record(events.SlaBreached(self.snapshot(), self._clock_facts(clock, now), now))

    def _clock_facts(
        self, clock: SlaClock, now: datetime, cal: BusinessCalendar | None = None
    ) -> dict[str, Any]:
        elapsed = (
            clock.elapsed(cal, now) if cal is not None else timedelta(microseconds=clock.elapsed_us)
        )
        return {
            "target": clock.target,
            "cycle": clock.cycle,
            "due_at": clock.due_at or now,
            "target_minutes": clock.target_minutes,
            "elapsed_business_seconds": int(elapsed.total_seconds()),
            "threshold_percent": clock.warning_percent,
            "policy_id": self.sla.policy_id,
            "policy_name": self.sla.policy_name,
        }

    # -- commands ---------------------------------------------------------------------------

    def assign(
        self,
        *,
        agent_id: str | None,
        group_id: str | None,
        method: str,
        assigned_by: str | None,
        now: datetime,
    ) -> bool:
        """Give the ticket to an agent and/or group; False when nothing changes."""
        self._ensure_not_closed()
        if agent_id == self.agent_id and group_id == self.group_id:
            return False
        previous_agent, previous_group = self.agent_id, self.group_id
        self.agent_id, self.group_id = agent_id, group_id
        if self.status == "new" and agent_id is not None:
            self._transition("open", now)
        self._bump(now)
        self.record(
            events.TicketAssigned(
                self.snapshot(), previous_agent, previous_group, method, assigned_by, now
            )
        )
        return True

    def agent_replied(
        self, comment_id: str, author_id: str | None, now: datetime, cal: BusinessCalendar
    ) -> None:
        """A public agent reply: answers the first response or the pending next response."""
        self._ensure_not_closed()
        if self.status == "new":
            self._transition("open", now)
        self.last_agent_reply_at = now
        self._bump(now)
        if self.first_responded_at is None:
            clock = self.sla.clocks["first_response"]
            breached_now = clock.complete(now, cal)
            self.first_responded_at = now
            self.first_response_business_seconds = clock.elapsed_us // 1_000_000
            self.first_response_calendar_seconds = _seconds(now - self.created_at)
            self.record(
                events.TicketFirstResponded(
                    self.snapshot(),
                    comment_id,
                    author_id,
                    now,
                    self.first_response_business_seconds,
                    self.first_response_calendar_seconds,
                    clock.target_minutes,
                    clock.met,
                )
            )
            if breached_now:
                self._breach_on_completion(clock, now)
            return
        clock = self.sla.clock("next_response")
        if clock is not None and not clock.finished:
            breached_now = clock.complete(now, cal)
            self.record(
                events.TicketResponded(
                    self.snapshot(),
                    comment_id,
                    author_id,
                    now,
                    clock.cycle,
                    clock.elapsed_us // 1_000_000,
                    _seconds(now - clock.started_at),
                    clock.target_minutes,
                    clock.met,
                )
            )
            if breached_now:
                self._breach_on_completion(clock, now)
            return
        self.record(
            events.TicketResponded(
                self.snapshot(), comment_id, author_id, now, None, None, None, None, None
            )
        )

    def customer_wrote(
        self,
        now: datetime,
        cal: BusinessCalendar,
        *,
        next_response_minutes: int | None,
        reopen_window: timedelta,
    ) -> None:
        """A customer message: resumes a pending ticket, reopens a resolved one, and starts
        the next-response clock once the first response was given."""
        self._ensure_not_closed()
        if self.status == "resolved":
            self.reopen(
                trigger="customer",
                reason="The customer wrote again",
                now=now,
                cal=cal,
                window=reopen_window,
            )
        changed = ["last_customer_message_at"]
        if self.status == "pending":
            self._transition("open", now)
            self._resume_all(now, cal)
            changed.append("status")
        self.last_customer_message_at = now
        if self.first_responded_at is not None:
            current = self.sla.clock("next_response")
            if current is None or current.finished:
                clock = SlaClock.start(
                    "next_response",
                    next_response_minutes,
                    now,
                    cal,
                    warning_percent=self.sla.warning_percent,
                    cycle=(current.cycle + 1) if current else 1,
                )
                self.sla.replace_clock(clock)
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), tuple(changed), now))

    def set_pending(self, reason: str | None, now: datetime, cal: BusinessCalendar) -> None:
        """Wait on the customer: judge what fell due, then pause every clock."""
        self._transition("pending", now)
        # A deadline that passed before the pause stays breached: judge it now, since the
        # scan only looks at running clocks.
        due = [(kind, c) for c in self.sla.all_clocks() for kind in c.checks_due(now)]
        facts = [(kind, self._clock_facts(c, now, cal)) for kind, c in due]
        self._pause_all(now, cal)
        self._bump(now)
        snapshot = self.snapshot()
        self.record(events.TicketPending(snapshot, now, reason))
        for kind, fact in facts:
            event = events.SlaWarned if kind == "warning" else events.SlaBreached
            self.record(event(snapshot, fact, now))

    def hold(self, reason: str | None, now: datetime, cal: BusinessCalendar) -> None:
        """Wait on a third party: clocks run (resumed when coming from pending)."""
        self._transition("on_hold", now)
        self._resume_all(now, cal)
        self._bump(now)
        self.record(events.TicketOnHold(self.snapshot(), now, reason))

    def resume(self, now: datetime, cal: BusinessCalendar) -> None:
        """Back to open from new, pending or on hold (not from resolved: that is reopen)."""
        if self.status == "resolved":
            raise InvalidTransition(f"ticket {self.number} is resolved; reopen it instead")
        self._transition("open", now)
        self._resume_all(now, cal)
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), ("status",), now))

    def resolve(self, resolved_by: str | None, now: datetime, cal: BusinessCalendar) -> None:
        """Resolve: judge the resolution target, drop the unanswered ones."""
        if self.category == "complaint" and self.complaint is None:
            raise StateConflict(
                f"complaint {self.number} needs its root cause and corrective action "
                "before it can be resolved"
            )
        self._transition("resolved", now)
        breaches = []
        for target in TARGETS:
            clock = self.sla.clock(target)
            if clock is None:
                continue
            if target == "resolution":
                if clock.complete(now, cal):
                    breaches.append(clock)
            else:
                clock.cancel(now, cal)
        resolution = self.sla.clocks["resolution"]
        self.resolved_at = now
        self.resolved_by = resolved_by
        self.resolution_business_seconds = resolution.elapsed_us // 1_000_000
        self.resolution_calendar_seconds = _seconds(now - self.created_at)
        self._bump(now)
        self.record(
            events.TicketResolved(
                self.snapshot(),
                now,
                resolved_by,
                self.first_response_business_seconds,
                self.first_response_calendar_seconds,
                self.resolution_business_seconds,
                self.resolution_calendar_seconds,
                self.reopened_count,
                self.sla_met(),
            )
        )
        for clock in breaches:
            self._breach_on_completion(clock, now)

    def sla_met(self) -> dict[str, bool | None]:
        """Per target: met, breached (False) or not applicable (None)."""
        out: dict[str, bool | None] = {}
        for target in TARGETS:
            clock = self.sla.clock(target)
            if clock is None or clock.target_us is None:
                out[target] = None
            elif clock.breached:
                out[target] = False
            else:
                out[target] = clock.met
        return out

    def reopen(
        self,
        *,
        trigger: str,
        reason: str | None,
        now: datetime,
        cal: BusinessCalendar,
        window: timedelta,
    ) -> None:
        """Reopen within the window; the resolution clock runs on from where it stopped."""
        if self.status != "resolved":
            if self.status == "closed":
                raise InvalidTransition(
                    f"ticket {self.number} is closed; open a follow-up ticket instead"
                )
            raise InvalidTransition(f"ticket {self.number} is {self.status}, not resolved")
        if self.resolved_at is not None and now - self.resolved_at > window:
            raise InvalidTransition(
                f"ticket {self.number} was resolved more than {window.days} day(s) ago; "
                "open a follow-up ticket instead"
            )
        self._transition("open", now)
        self.reopened_count += 1
        self.resolved_at = None
        self.resolved_by = None
        self.sla.clocks["resolution"].reopen(now, cal)
        self._bump(now)
        self.record(
            events.TicketReopened(self.snapshot(), now, trigger, reason, self.reopened_count)
        )

    def close(self, reason: str, now: datetime) -> None:
        """Close a resolved ticket (manually or after the reopen window)."""
        if self.status != "resolved":
            if self.status == "closed":
                raise InvalidTransition(f"ticket {self.number} is already closed")
            raise InvalidTransition(
                f"ticket {self.number} is {self.status}; resolve it before closing it"
            )
        self._transition("closed", now)
        self.close_reason = reason
        self.closed_at = now
        self._bump(now)
        self.record(events.TicketClosed(self.snapshot(), now, reason, None))

    def close_as_merged(self, target: Ticket, now: datetime, cal: BusinessCalendar) -> None:
        """Close as a duplicate of ``target``; its clocks stop unjudged."""
        self._ensure_not_closed()
        for clock in self.sla.clocks.values():
            clock.cancel(now, cal)
        self.status = "closed"
        self.status_changed_at = now
        self.close_reason = "merged"
        self.merged_into = target.id
        self.closed_at = now
        self._bump(now)
        self.record(events.TicketClosed(self.snapshot(), now, "merged", target.id))

    def change(self, changes: dict[str, Any], now: datetime) -> list[str]:
        """Edit fields (not status); return what changed. Reclassification re-matches the SLA
        policy in the use case."""
        self._ensure_not_closed()
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidValue(f"cannot change {', '.join(sorted(unknown))} here")
        changed = []
        for key, value in changes.items():
            if key == "subject":
                value = _subject(value)
            elif key == "tags":
                value = normalise_tags(value)
            elif key == "contact":
                value = Contact(**(value or {}))
            elif key == "category":
                _check_choice("category", value, CATEGORIES)
            elif key == "channel":
                _check_choice("channel", value, CHANNELS)
            elif key == "priority":
                _check_choice("priority", value, PRIORITIES)
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        if changed:
            self._bump(now)
            self.record(events.TicketUpdated(self.snapshot(), tuple(changed), now))
        return changed

    def apply_policy(
        self,
        policy: SlaPolicy | None,
        calendar_id: str | None,
        old_cal: BusinessCalendar,
        new_cal: BusinessCalendar,
        default_warning_percent: int,
        now: datetime,
    ) -> bool:
        """Switch to another SLA policy/calendar, keeping the business time already spent."""
        policy_id = policy.id if policy else None
        pct = (policy.warning_percent if policy else None) or default_warning_percent
        same = (
            policy_id == self.sla.policy_id
            and calendar_id == self.sla.calendar_id
            and pct == self.sla.warning_percent
            and all(
                c.target_minutes == (policy.target_minutes(t) if policy else None)
                for t, c in self.sla.clocks.items()
                if not c.finished
            )
        )
        if same:
            return False
        for target, clock in self.sla.clocks.items():
            minutes = policy.target_minutes(target) if policy else None
            clock.retarget(minutes, pct, now, old_cal, new_cal)
        self.sla.policy_id = policy_id
        self.sla.policy_name = policy.name if policy else None
        self.sla.calendar_id = calendar_id
        self.sla.calendar_version = new_cal.version
        self.sla.warning_percent = pct
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), ("sla_policy",), now))
        return True

    def follow_calendar(self, cal: BusinessCalendar, now: datetime) -> bool:
        """Recompute deadlines on an edited calendar, keeping the business time spent (the
        running stretch is counted on the calendar as it is now)."""
        if cal.version == self.sla.calendar_version or self.is_resolved:
            return False
        for clock in self.sla.clocks.values():
            clock.retarget(clock.target_minutes, clock.warning_percent, now, cal, cal)
        self.sla.calendar_version = cal.version
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), ("sla_deadlines",), now))
        return True

    def record_complaint(
        self,
        *,
        root_cause_category: str,
        root_cause: str,
        corrective_action: str,
        recorded_by: str | None,
        now: datetime,
    ) -> None:
        """Root cause and corrective action of a complaint ticket."""
        self._ensure_not_closed()
        if self.category != "complaint":
            raise StateConflict(
                f"ticket {self.number} is a {self.category} ticket; root cause and corrective "
                "action belong to complaints (change the category first)"
            )
        _check_choice("root_cause_category", root_cause_category, ROOT_CAUSE_CATEGORIES)
        root_cause, corrective_action = (
            (root_cause or "").strip(),
            (corrective_action or "").strip(),
        )
        if not root_cause or not corrective_action:
            raise InvalidValue("a complaint needs both a root cause and a corrective action")
        self.complaint = Complaint(
            root_cause_category, root_cause, corrective_action, recorded_by, now
        )
        self._bump(now)
        self.record(events.ComplaintRecorded(self.snapshot(), self.complaint.as_dict()))

    def check_sla(self, now: datetime, cal: BusinessCalendar) -> int:
        """Record warnings and breaches that fell due; return how many."""
        if self.is_resolved:
            return 0
        found = []
        for clock in self.sla.all_clocks():
            for kind in clock.checks_due(now):
                found.append((kind, clock))
        if not found:
            return 0
        self._bump(now)
        snapshot = self.snapshot()
        for kind, clock in found:
            facts = self._clock_facts(clock, now, cal)
            if kind == "warning":
                self.record(events.SlaWarned(snapshot, facts, now))
            else:
                self.record(events.SlaBreached(snapshot, facts, now))
        return len(found)

    def rekey_customer(self, customer_id: str, now: datetime) -> None:
        """Point the ticket at the survivor of a customer merge."""
        if customer_id == self.customer_id:
            return
        self.customer_id = customer_id
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), ("customer_id",), now))

    def erase_contact(self, now: datetime) -> None:
        """GDPR: forget who to answer (the customer id stays: it is a pseudonym)."""
        if self.contact == Contact():
            return
        self.contact = Contact()
        self._bump(now)
        self.record(events.TicketUpdated(self.snapshot(), ("contact",), now))

    def record_satisfaction(self, satisfaction: Satisfaction, now: datetime) -> None:
        # The survey's own event tells the world; the ticket only shows the latest score.
        """Show the latest survey score on the ticket."""
        self.satisfaction = satisfaction
        self._bump(now)


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidValue(f"{name} must be one of {', '.join(allowed)}")


def _subject(value: str | None) -> str:
    clean = " ".join((value or "").split())
    if not clean:
        raise InvalidValue("a ticket needs a subject")
    if len(clean) > 300:
        raise InvalidValue("subject is at most 300 characters")
    return clean
