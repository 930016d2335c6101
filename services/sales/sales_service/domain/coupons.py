"""Coupons as the campaign service defines them, and whether one applies to an order.

The rules here are the ones a single order can check (active, validity window, minimum order,
currency, discount). Redemption limits — total, per customer, single-use codes — depend on every
other order and are enforced by the coupon ledger with conditional updates in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sales_service.domain.errors import CouponRejected
from sales_service.domain.money import ZERO, quantize

HUNDRED = Decimal(100)


def normalise_code(code: str) -> str:
    """Codes are matched without regard to case or surrounding blanks."""
    return " ".join(str(code).split()).upper()


@dataclass
class Coupon:
    id: str
    name: str
    mode: str  # shared | unique
    discount_kind: str  # percent | amount
    value: Decimal
    active: bool
    revision: int
    campaign_id: str | None = None
    code: str | None = None
    currency: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_redemptions: int | None = None
    max_per_customer: int | None = None
    min_order_amount: Decimal | None = None
    min_order_currency: str | None = None
    redeemed: int = 0

    def discount_for(self, code: str, net_subtotal: Decimal, currency: str, now: datetime):
        """The discount this coupon gives an order worth ``net_subtotal``; CouponRejected if
        it does not apply."""
        if not self.active:
            raise CouponRejected(code, "inactive", "the coupon is not active")
        if self.valid_from is not None and now < self.valid_from:
            raise CouponRejected(
                code, "not_yet_valid", f"the coupon is valid from {self.valid_from.isoformat()}"
            )
        if self.valid_until is not None and now > self.valid_until:
            raise CouponRejected(
                code, "expired", f"the coupon expired at {self.valid_until.isoformat()}"
            )
        if self.min_order_amount is not None:
            if self.min_order_currency and self.min_order_currency != currency:
                raise CouponRejected(
                    code,
                    "currency_mismatch",
                    f"the coupon's minimum order is in {self.min_order_currency}, "
                    f"the order in {currency}",
                )
            if net_subtotal < self.min_order_amount:
                raise CouponRejected(
                    code,
                    "below_minimum",
                    f"the order must be worth at least {self.min_order_amount} "
                    f"{self.min_order_currency or currency} before discounts",
                )
        if self.discount_kind == "percent":
            percent = min(max(self.value, ZERO), HUNDRED)
            return quantize(net_subtotal * percent / HUNDRED, currency)
        if self.currency and self.currency != currency:
            raise CouponRejected(
                code,
                "currency_mismatch",
                f"the coupon takes {self.value} {self.currency} off; the order is in {currency}",
            )
        return min(quantize(self.value, currency), net_subtotal)


@dataclass(frozen=True)
class Redemption:
    id: str
    coupon_id: str
    code: str
    order_id: str
    customer_id: str
    discount: Decimal
    base_discount: Decimal
    currency: str
    base_currency: str
    redeemed_at: datetime
    campaign_id: str | None = None
    order_number: str | None = None
    status: str = "active"
    released_at: datetime | None = None
