"""Coupons: one shared code, or bulk unique codes, with the rules sales enforces at checkout.

Unique codes are drawn with ``secrets`` from a readable alphabet without look-alikes (no 0/O,
1/I/L, U/V): twelve characters give 29^12 (about 3.5e17, 58 bits) possibilities per prefix, so
codes cannot be guessed from each other. Sales keeps its own replica of the rules from
``campaign.coupon.issued/updated`` and the codes from ``campaign.coupon.codes_issued``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from campaign_service.domain import events
from campaign_service.domain.errors import InvalidValue, StateConflict
from campaign_service.domain.money import Money
from servicekit.domain import EventRecorder

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_GROUPS = 3
GROUP_LEN = 4
MODES = ("shared", "unique")
KINDS = ("percent", "amount")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")
MAX_CODES_PER_REQUEST = 50_000
CODES_PER_EVENT = 5_000
MUTABLE = (
    "name",
    "campaign_id",
    "valid_from",
    "valid_until",
    "max_redemptions",
    "max_per_customer",
    "min_order",
    "active",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_code(code: str) -> str:
    value = (code or "").strip().upper()
    if not _CODE.match(value):
        raise InvalidValue("a code is 3-40 characters of A-Z, 0-9 and '-', starting with one")
    return value


def generate_code(prefix: str | None = None) -> str:
    groups = [
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(CODE_GROUPS)
    ]
    return "-".join([prefix, *groups] if prefix else groups)


def check_prefix(prefix: str | None) -> str | None:
    if prefix is None or prefix == "":
        return None
    value = prefix.strip().upper()
    if not _PREFIX.match(value):
        raise InvalidValue("prefix is 1-10 characters of A-Z and 0-9")
    return value


@dataclass(eq=False)
class Coupon(EventRecorder):
    id: str
    name: str
    mode: str
    discount_kind: str
    value: Decimal
    currency: str | None = None
    code: str | None = None
    campaign_id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_redemptions: int | None = None
    max_per_customer: int | None = None
    min_order: Money | None = None
    active: bool = True
    codes_issued: int = 0
    batches: int = 0
    redemptions: int = 0
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None

    @classmethod
    def create(cls, *, created_by: str | None = None, **data: Any) -> Coupon:
        now = utcnow()
        mode = data.get("mode")
        if mode not in MODES:
            raise InvalidValue(f"mode must be one of {', '.join(MODES)}")
        kind = data.get("discount_kind")
        if kind not in KINDS:
            raise InvalidValue(f"discount_kind must be one of {', '.join(KINDS)}")
        value = Decimal(str(data.get("value")))
        currency = data.get("currency")
        if kind == "percent":
            if not Decimal(0) < value <= Decimal(100):
                raise InvalidValue("a percent discount is more than 0 and at most 100")
            if currency:
                raise InvalidValue("a percent discount has no currency")
            currency = None
        else:
            if value <= 0:
                raise InvalidValue("an amount discount must be positive")
            if not currency:
                raise InvalidValue("an amount discount needs its currency")
        if value.as_tuple().exponent < -4:
            raise InvalidValue("value has more than four decimal places")
        code = data.get("code")
        if mode == "shared":
            code = normalise_code(code) if code else generate_code()
        elif code:
            raise InvalidValue("a unique-code coupon has no shared code; issue codes instead")
        coupon = cls(
            id=str(uuid.uuid4()),
            name="",
            mode=mode,
            discount_kind=kind,
            value=value,
            currency=currency,
            code=code,
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        coupon._apply({k: v for k, v in data.items() if k in MUTABLE}, creating=True)
        coupon.record(events.CouponChanged(coupon, created=True))
        return coupon

    def update(self, changes: dict[str, Any]) -> list[str]:
        fixed = sorted(set(changes) - set(MUTABLE))
        if fixed:
            raise StateConflict(
                f"{', '.join(fixed)} cannot change once a coupon is issued; create a new coupon"
            )
        before = self._snapshot()
        self._apply(changes, creating=False)
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        if changed:
            self.updated_at = utcnow()
            self.record(events.CouponChanged(self, created=False))
        return changed

    def _apply(self, data: dict[str, Any], *, creating: bool) -> None:
        if "name" in data or creating:
            name = (data.get("name") or "").strip()
            if not name:
                raise InvalidValue("name is required")
            self.name = name[:200]
        if "campaign_id" in data:
            self.campaign_id = data["campaign_id"]
        for key in ("valid_from", "valid_until"):
            if key in data:
                setattr(self, key, data[key])
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise InvalidValue("valid_until must be after valid_from")
        for key in ("max_redemptions", "max_per_customer"):
            if key in data:
                value = data[key]
                if value is not None and (not isinstance(value, int) or value < 1):
                    raise InvalidValue(f"{key} must be at least 1 (or null for no limit)")
                setattr(self, key, value)
        if (
            self.max_redemptions is not None
            and self.max_per_customer is not None
            and self.max_per_customer > self.max_redemptions
        ):
            raise InvalidValue("max_per_customer cannot exceed max_redemptions")
        if "min_order" in data:
            minimum = data["min_order"]
            minimum = Money.of(minimum) if isinstance(minimum, dict) else minimum
            if minimum is not None:
                if minimum.amount < 0:
                    raise InvalidValue("min_order cannot be negative")
                if self.currency and minimum.currency != self.currency:
                    raise InvalidValue("min_order must be in the coupon's currency")
            self.min_order = minimum
        if "active" in data:
            self.active = bool(data["active"])

    def _snapshot(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in MUTABLE}

    def issue_codes(self, count: int, prefix: str | None, taken) -> list[tuple[int, list[str]]]:
        """Draw ``count`` new unique codes in batches; ``taken(codes)`` says which exist already."""
        if self.mode != "unique":
            raise StateConflict("only unique-code coupons issue codes")
        if not 1 <= count <= MAX_CODES_PER_REQUEST:
            raise InvalidValue(f"count must be 1-{MAX_CODES_PER_REQUEST}")
        prefix = check_prefix(prefix)
        fresh: list[str] = []
        seen: set[str] = set()
        while len(fresh) < count:
            want = count - len(fresh)
            drawn = {generate_code(prefix) for _ in range(want)} - seen
            clash = taken(drawn)
            for code in drawn - clash:
                fresh.append(code)
                seen.add(code)
        batches = []
        for start in range(0, len(fresh), CODES_PER_EVENT):
            self.batches += 1
            chunk = fresh[start : start + CODES_PER_EVENT]
            batches.append((self.batches, chunk))
            self.record(events.CouponCodesIssued(self.id, self.batches, tuple(chunk)))
        self.codes_issued += len(fresh)
        self.updated_at = utcnow()
        return batches
