"""Sales targets per rep or team and period, for revenue, order count, won deals or won value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import check_amount, quantize
from sales_service.domain.periods import parse

SUBJECTS = ("rep", "team")
METRICS = ("revenue", "orders", "won_deals", "won_value")
MONEY_METRICS = ("revenue", "won_value")


@dataclass(eq=False)
class Target(Aggregate):
    id: str
    subject: str
    period_kind: str
    period: str
    period_start: date
    period_end: date
    metric: str
    value: Decimal
    owner_id: str | None = None
    team: str | None = None
    currency: str | None = None
    set_by: str | None = None
    notes: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def set(
        cls,
        *,
        subject: str,
        period: str,
        metric: str,
        value: Decimal,
        base_currency: str,
        owner_id: str | None = None,
        team: str | None = None,
        set_by: str | None = None,
        notes: str | None = None,
    ) -> Target:
        if subject not in SUBJECTS:
            raise InvalidValue(f"subject must be one of {', '.join(SUBJECTS)}")
        if metric not in METRICS:
            raise InvalidValue(f"metric must be one of {', '.join(METRICS)}")
        team = clean(team)
        if subject == "rep" and not uuid_or_none(owner_id):
            raise InvalidValue("a rep target needs the rep's owner_id")
        if subject == "team" and not team:
            raise InvalidValue("a team target needs the team")
        parsed = parse(period)
        target = cls(
            id=new_id(),
            subject=subject,
            period_kind=parsed.kind,
            period=parsed.label,
            period_start=parsed.start,
            period_end=parsed.end,
            metric=metric,
            value=Decimal(0),
            owner_id=uuid_or_none(owner_id) if subject == "rep" else None,
            team=team,
            currency=base_currency if metric in MONEY_METRICS else None,
            set_by=uuid_or_none(set_by),
            notes=clean(notes),
        )
        target.value = target._checked(value)
        target.emit("target.set")
        return target

    def _checked(self, value: Decimal) -> Decimal:
        value = check_amount(value, "value")
        if value <= 0:
            raise InvalidValue("a target value must be greater than zero")
        if self.currency:
            if quantize(value, self.currency) != value:
                raise InvalidValue(f"value has more decimals than {self.currency} allows")
        elif value != value.to_integral_value():
            raise InvalidValue(f"a {self.metric} target is a whole number")
        return value

    def change(self, *, value=None, notes=None, set_by=None, now=None) -> list[str]:
        changed = []
        if value is not None and self._checked(value) != self.value:
            self.value = Decimal(value)
            changed.append("value")
        if notes is not None and clean(notes) != self.notes:
            self.notes = clean(notes)
            changed.append("notes")
        if changed:
            self.set_by = uuid_or_none(set_by) or self.set_by
            self.updated_at = now or utcnow()
            self.emit("target.set", changed_fields=changed)
        return changed

    def remove(self, now: datetime | None = None) -> None:
        self.emit("target.removed", removed_at=now or utcnow(), revision=self.version + 1)

    @property
    def owner_team(self) -> str | None:
        return self.team
