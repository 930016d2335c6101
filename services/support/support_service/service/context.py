"""What every use case needs besides the unit of work: settings, calendars and the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.types import utcnow
from support_service.domain.businesstime import BusinessCalendar
from support_service.domain.calendars import CalendarDefinition
from support_service.domain.errors import InvalidValue
from support_service.domain.replicas import CustomerReplica
from support_service.domain.sla import SlaPolicy
from support_service.service.settings import SupportSettings

ALWAYS = BusinessCalendar.always()


class CalendarCache:
    """Built calendars by id and version: building one computes its holidays, so reuse it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, tuple[int, BusinessCalendar]] = {}

    def build(self, definition: CalendarDefinition) -> BusinessCalendar:
        found = self._built.get(definition.id)
        if found is not None and found[0] == definition.version:
            return found[1]
        calendar = definition.build()
        with self._lock:
            self._built[definition.id] = (definition.version, calendar)
        return calendar


@dataclass
class SupportContext:
    settings: SupportSettings
    calendars: CalendarCache = field(default_factory=CalendarCache)
    clock: Callable[[], datetime] = utcnow
    mail_settings: object = None

    def now(self) -> datetime:
        return self.clock()

    def calendar(self, uow, calendar_id: str | None) -> BusinessCalendar:
        """The calendar with this id (24x7 for None or one deleted meanwhile)."""
        if calendar_id is None:
            return ALWAYS
        definition = uow.calendars.get(calendar_id)
        return self.calendars.build(definition) if definition is not None else ALWAYS

    def choose_calendar(
        self, uow, policy: SlaPolicy | None, customer: CustomerReplica | None
    ) -> tuple[str | None, BusinessCalendar]:
        """The policy's calendar; else the one serving the customer's country; else the
        default calendar; else around the clock."""
        if policy is not None and policy.calendar_id:
            definition = uow.calendars.get(policy.calendar_id)
            if definition is not None:
                return definition.id, self.calendars.build(definition)
        definitions = uow.calendars.all()
        country = customer.country if customer else None
        if country:
            for definition in definitions:
                if country in definition.customer_countries:
                    return definition.id, self.calendars.build(definition)
        for definition in definitions:
            if definition.is_default:
                return definition.id, self.calendars.build(definition)
        return None, ALWAYS

    def survey_plan(self, policy: SlaPolicy | None) -> tuple[str | None, int, str, int]:
        """(kind or None, delay minutes, low-score action, low-score threshold)."""
        s = self.settings
        kind = (policy.survey_kind if policy else None) or s.survey_kind
        if kind == "none":
            return None, 0, "none", 0
        delay = (
            policy.survey_delay_minutes
            if policy and policy.survey_delay_minutes is not None
            else None
        )
        action = (policy.low_score_action if policy else None) or s.low_score_action
        threshold = (
            policy.low_score_threshold
            if policy and policy.low_score_threshold is not None
            else s.low_threshold(kind)
        )
        if kind == "csat" and threshold > 5:
            raise InvalidValue("a CSAT low-score threshold is at most 5")
        return kind, delay if delay is not None else s.survey_delay_minutes, action, threshold
