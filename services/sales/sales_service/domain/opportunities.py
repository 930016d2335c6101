"""Opportunities: a deal with a customer moving through a pipeline's stages to won or lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue, StateConflict
from sales_service.domain.money import ZERO, check_amount, quantize
from sales_service.domain.pipelines import Stage

STATUSES = ("open", "won", "lost")
EDITABLE = (
    "name",
    "amount",
    "currency",
    "fx_rate",
    "base_amount",
    "expected_close_date",
    "probability",
    "competitors",
    "next_step",
    "next_step_due",
    "region",
    "campaign_id",
    "source",
    "description",
)


@dataclass(frozen=True)
class Competitor:
    """A competitor on the deal (``competitor_id`` refers to market research, if known)."""

    name: str
    competitor_id: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class StageVisit:
    """One line of the stage history: the move and how long the deal sat in the last stage."""

    from_stage_id: str | None
    from_stage_name: str | None
    to_stage_id: str
    to_stage_name: str
    at: datetime
    seconds_in_previous: int
    probability: int
    amount: Decimal
    currency: str
    by: str | None = None


@dataclass(eq=False)
class Opportunity(Aggregate):
    id: str
    name: str
    customer_id: str
    pipeline_id: str
    stage_id: str
    stage_name: str
    probability: int
    forecast_category: str
    amount: Decimal
    currency: str
    fx_rate: Decimal
    base_amount: Decimal
    base_currency: str
    status: str = "open"
    lead_id: str | None = None
    expected_close_date: date | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    region: str | None = None
    campaign_id: str | None = None
    source: str | None = None
    description: str | None = None
    competitors: list[Competitor] = field(default_factory=list)
    next_step: str | None = None
    next_step_due: datetime | None = None
    win_reason: str | None = None
    loss_reason: str | None = None
    lost_to: str | None = None
    lost_to_id: str | None = None
    closed_at: datetime | None = None
    stage_entered_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1
    new_history: list[StageVisit] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        *,
        name: str,
        customer_id: str,
        pipeline_id: str,
        stage: Stage,
        amount: Decimal,
        currency: str,
        fx_rate: Decimal,
        base_currency: str,
        created_by: str | None = None,
        now: datetime | None = None,
        **data: Any,
    ) -> Opportunity:
        if not stage.is_open:
            raise InvalidValue("a new opportunity starts in an open stage")
        now = now or utcnow()
        name = clean(name)
        if not name:
            raise InvalidValue("an opportunity needs a name")
        amount = _amount(amount, currency)
        opportunity = cls(
            id=new_id(),
            name=name,
            customer_id=customer_id,
            pipeline_id=pipeline_id,
            stage_id=stage.id,
            stage_name=stage.name,
            probability=stage.probability,
            forecast_category=stage.forecast_category,
            amount=amount,
            currency=currency,
            fx_rate=fx_rate,
            base_amount=quantize(amount * fx_rate, base_currency),
            base_currency=base_currency,
            stage_entered_at=now,
            created_by=uuid_or_none(created_by),
            created_at=now,
            updated_at=now,
        )
        opportunity._edit(data)
        opportunity.new_history.append(
            StageVisit(None, None, stage.id, stage.name, now, 0, opportunity.probability,
                       amount, currency, uuid_or_none(created_by))
        )  # fmt: skip
        opportunity.emit("opportunity.created")
        return opportunity

    @property
    def weighted_base_amount(self) -> Decimal:
        return quantize(self.base_amount * self.probability / 100, self.base_currency)

    def _edit(self, data: dict[str, Any]) -> list[str]:
        data = dict(data)
        for key in ("name", "next_step", "region", "source", "description"):
            if key in data:
                data[key] = clean(data[key])
        if "name" in data and not data["name"]:
            raise InvalidValue("an opportunity needs a name")
        if "probability" in data:
            if data["probability"] is None or not 0 <= int(data["probability"]) <= 100:
                raise InvalidValue("probability is a percentage between 0 and 100")
            data["probability"] = int(data["probability"])
        if "competitors" in data:
            data["competitors"] = [
                c if isinstance(c, Competitor) else Competitor(**c)
                for c in data["competitors"] or []
            ]
        if "amount" in data:
            data["amount"] = _amount(data["amount"], data.get("currency", self.currency))
        if "fx_rate" in data:
            amount = data.get("amount", self.amount)
            data["base_amount"] = quantize(amount * data["fx_rate"], self.base_currency)
        return self.apply_changes(data, EDITABLE)

    def update(self, changes: dict[str, Any], now: datetime | None = None) -> list[str]:
        if self.status != "open" and set(changes) - {"next_step", "next_step_due", "description"}:
            raise StateConflict(f"the opportunity is {self.status}; reopen it to change it")
        changed = self._edit(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("opportunity.updated", changed_fields=changed)
        return changed

    def reassign(self, owner_id: str | None, owner_team: str | None, now=None) -> bool:
        if (owner_id, owner_team) == (self.owner_id, self.owner_team):
            return False
        changed = [
            name
            for name, new, old in (
                ("owner_id", owner_id, self.owner_id),
                ("owner_team", owner_team, self.owner_team),
            )
            if new != old
        ]
        self.owner_id, self.owner_team = uuid_or_none(owner_id), owner_team
        self.updated_at = now or utcnow()
        self.emit("opportunity.updated", changed_fields=changed)
        return True

    def _enter(self, stage: Stage, probability: int | None, now: datetime, by: str | None):
        previous = {
            "from_stage_id": self.stage_id,
            "from_stage_name": self.stage_name,
            "from_probability": self.probability,
            "time_in_previous_stage_seconds": max(
                0, int((now - self.stage_entered_at).total_seconds())
            ),
        }
        self.stage_id, self.stage_name = stage.id, stage.name
        self.probability = stage.probability if probability is None else int(probability)
        self.forecast_category = stage.forecast_category
        self.stage_entered_at = self.updated_at = now
        self.new_history.append(
            StageVisit(previous["from_stage_id"], previous["from_stage_name"], stage.id,
                       stage.name, now, previous["time_in_previous_stage_seconds"],
                       self.probability, self.amount, self.currency, uuid_or_none(by))
        )  # fmt: skip
        return previous

    def move(self, stage: Stage, *, probability=None, by=None, now=None) -> None:
        """Move an open deal to another open stage."""
        if self.status != "open":
            raise StateConflict(f"the opportunity is {self.status}; reopen it to move it")
        if not stage.is_open:
            raise InvalidValue("use win or lose to close an opportunity")
        if stage.id == self.stage_id and probability is None:
            raise StateConflict(f"the opportunity is already in stage {stage.name}")
        if probability is not None and not 0 <= int(probability) <= 100:
            raise InvalidValue("probability is a percentage between 0 and 100")
        now = now or utcnow()
        previous = self._enter(stage, probability, now, by)
        self.emit(
            "opportunity.stage_changed",
            **previous,
            to_stage_id=stage.id,
            to_stage_name=stage.name,
            from_status="open",
            changed_at=now,
        )

    def win(self, stage: Stage, *, reason: str | None = None, by=None, now=None) -> None:
        if self.status != "open":
            raise StateConflict(f"the opportunity is already {self.status}")
        now = now or utcnow()
        previous = self._enter(stage, None, now, by)
        self.status, self.closed_at, self.win_reason = "won", now, clean(reason)
        self.emit("opportunity.won", **previous, reason=self.win_reason, won_at=now)

    def lose(
        self,
        stage: Stage,
        *,
        reason: str,
        competitor: str | None = None,
        competitor_id: str | None = None,
        by=None,
        now=None,
    ) -> None:
        if self.status != "open":
            raise StateConflict(f"the opportunity is already {self.status}")
        reason = clean(reason)
        if not reason:
            raise InvalidValue("say why the opportunity was lost")
        now = now or utcnow()
        previous = self._enter(stage, None, now, by)
        self.status, self.closed_at, self.loss_reason = "lost", now, reason
        self.lost_to, self.lost_to_id = clean(competitor), competitor_id
        self.emit(
            "opportunity.lost",
            **previous,
            reason=reason,
            competitor=self.lost_to,
            competitor_id=competitor_id,
            lost_at=now,
        )

    def reopen(self, stage: Stage, *, by=None, now=None) -> None:
        if self.status == "open":
            raise StateConflict("the opportunity is open already")
        if not stage.is_open:
            raise InvalidValue("reopen into an open stage")
        now = now or utcnow()
        from_status = self.status
        previous = self._enter(stage, None, now, by)
        self.status, self.closed_at = "open", None
        self.win_reason = self.loss_reason = self.lost_to = self.lost_to_id = None
        self.emit(
            "opportunity.stage_changed",
            **previous,
            to_stage_id=stage.id,
            to_stage_name=stage.name,
            from_status=from_status,
            changed_at=now,
        )

    def rename_stage(self, stage: Stage) -> None:
        """The pipeline renamed or re-weighted the stage the deal is in (no event of its own)."""
        self.stage_name = stage.name
        self.forecast_category = stage.forecast_category


def _amount(value, currency: str) -> Decimal:
    value = check_amount(value, "amount")
    if value < ZERO:
        raise InvalidValue("amount must not be negative")
    if quantize(value, currency) != value:
        raise InvalidValue(f"amount has more decimals than {currency} allows")
    return value
