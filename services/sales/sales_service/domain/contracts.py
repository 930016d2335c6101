"""Customer contracts: a value over a period, signed, reminded before they end, renewed.

draft → active (signed) → renewed | expired | terminated
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import ZERO, check_amount, quantize, to_base

STATUSES = ("draft", "active", "expired", "terminated", "renewed")
EDITABLE = (
    "title",
    "description",
    "start_date",
    "end_date",
    "value",
    "currency",
    "fx_rate",
    "auto_renew",
    "renewal_notice_days",
    "opportunity_id",
    "order_id",
    "region",
)


@dataclass(eq=False)
class Contract(Aggregate):
    id: str
    number: str
    customer_id: str
    title: str
    start_date: date
    end_date: date
    value: Decimal
    currency: str
    fx_rate: Decimal
    base_value: Decimal
    base_currency: str
    status: str = "draft"
    description: str | None = None
    opportunity_id: str | None = None
    order_id: str | None = None
    auto_renew: bool = False
    renewal_notice_days: int = 30
    owner_id: str | None = None
    owner_team: str | None = None
    region: str | None = None
    signed_at: datetime | None = None
    terminated_at: datetime | None = None
    termination_reason: str | None = None
    expired_at: datetime | None = None
    renewed_at: datetime | None = None
    renewed_from_id: str | None = None
    renewal_contract_id: str | None = None
    renewal_task_id: str | None = None
    renewal_notified_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1

    @classmethod
    def draft(
        cls,
        *,
        number: str,
        customer_id: str,
        base_currency: str,
        created_by: str | None = None,
        now: datetime | None = None,
        announce: bool = True,
        **data,
    ) -> Contract:
        now = now or utcnow()
        contract = cls(
            id=new_id(),
            number=number,
            customer_id=customer_id,
            title="",
            start_date=now.date(),
            end_date=now.date(),
            value=ZERO,
            currency=base_currency,
            fx_rate=Decimal(1),
            base_value=ZERO,
            base_currency=base_currency,
            created_by=uuid_or_none(created_by),
            created_at=now,
            updated_at=now,
        )
        contract._edit(data)
        if announce:
            contract.emit("contract.created")
        return contract

    def _edit(self, data: dict) -> list[str]:
        data = dict(data)
        for key in ("title", "description", "region"):
            if key in data:
                data[key] = clean(data[key])
        if "title" in data and not data["title"]:
            raise InvalidValue("a contract needs a title")
        if data.get("renewal_notice_days") is not None and not (
            0 <= int(data["renewal_notice_days"]) <= 366
        ):
            raise InvalidValue("renewal_notice_days is between 0 and 366")
        changed = self.apply_changes(data, EDITABLE)
        check_amount(self.value, "value")
        if self.value < 0 or quantize(self.value, self.currency) != self.value:
            raise InvalidValue(f"value must be a non-negative {self.currency} amount")
        if self.end_date < self.start_date:
            raise InvalidValue("end_date is before start_date")
        self.base_value = to_base(self.value, self.fx_rate, self.base_currency)
        return changed

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        self.require_status("draft", action="change")
        changed = self._edit(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("contract.updated", changed_fields=changed)
        return changed

    def reassign(self, owner_id, owner_team, now=None) -> bool:
        if (owner_id, owner_team) == (self.owner_id, self.owner_team):
            return False
        self.owner_id, self.owner_team = uuid_or_none(owner_id), owner_team
        self.updated_at = now or utcnow()
        self.emit("contract.updated", changed_fields=["owner_id", "owner_team"])
        return True

    def sign(self, now: datetime | None = None) -> None:
        self.require_status("draft", action="sign")
        now = now or utcnow()
        if self.end_date < now.date():
            raise InvalidValue("the contract ended already; change its dates before signing")
        self.status, self.signed_at, self.updated_at = "active", now, now
        self.emit("contract.signed")

    def renewal_due_on(self) -> date:
        return self.end_date - relativedelta(days=self.renewal_notice_days)

    def needs_renewal_notice(self, today: date) -> bool:
        return (
            self.status == "active"
            and self.renewal_notified_at is None
            and self.renewal_due_on() <= today <= self.end_date
        )

    def note_renewal_due(self, task_id: str | None, now: datetime | None = None) -> None:
        now = now or utcnow()
        self.renewal_task_id, self.renewal_notified_at, self.updated_at = task_id, now, now
        self.emit(
            "contract.renewal_due",
            task_id=task_id,
            days_left=(self.end_date - now.date()).days,
            notified_at=now,
        )

    def renew(
        self,
        *,
        number: str,
        end_date: date | None = None,
        value: Decimal | None = None,
        fx_rate: Decimal | None = None,
        by: str | None = None,
        now: datetime | None = None,
    ) -> Contract:
        """End this contract as renewed and return its active successor (same terms unless
        told otherwise; by default as long as this one)."""
        self.require_status("active", action="renew")
        now = now or utcnow()
        start = self.end_date + relativedelta(days=1)
        length = relativedelta(self.end_date + relativedelta(days=1), self.start_date)
        end = end_date or (start + length - relativedelta(days=1))
        if end < start:
            raise InvalidValue(f"the renewal must end after it starts on {start.isoformat()}")
        successor = Contract.draft(
            number=number,
            customer_id=self.customer_id,
            base_currency=self.base_currency,
            created_by=by,
            now=now,
            announce=False,
            title=self.title,
            description=self.description,
            start_date=start,
            end_date=end,
            value=self.value if value is None else value,
            currency=self.currency,
            fx_rate=self.fx_rate if fx_rate is None else fx_rate,
            auto_renew=self.auto_renew,
            renewal_notice_days=self.renewal_notice_days,
            opportunity_id=self.opportunity_id,
            region=self.region,
        )
        successor.owner_id, successor.owner_team = self.owner_id, self.owner_team
        successor.renewed_from_id = self.id
        successor.status, successor.signed_at = "active", now
        successor.emit("contract.signed")
        self.status, self.renewed_at, self.renewal_contract_id, self.updated_at = (
            "renewed",
            now,
            successor.id,
            now,
        )
        self.emit(
            "contract.renewed",
            renewal_contract_id=successor.id,
            new_start_date=successor.start_date,
            new_end_date=successor.end_date,
            new_value={"amount": successor.value, "currency": successor.currency},
            renewed_at=now,
        )
        return successor

    def expire(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self.status != "active" or self.end_date >= now.date():
            return False
        self.status, self.expired_at, self.updated_at = "expired", now, now
        self.emit("contract.expired", expired_at=now)
        return True

    def terminate(self, reason: str, now: datetime | None = None) -> None:
        self.require_status("active", action="terminate")
        reason = clean(reason)
        if not reason:
            raise InvalidValue("say why the contract ends early")
        now = now or utcnow()
        self.status, self.terminated_at, self.termination_reason, self.updated_at = (
            "terminated",
            now,
            reason,
            now,
        )
        self.emit("contract.terminated", terminated_at=now, reason=reason)
