"""Keeping the replicas current: customers (names, region, owner, merges, erasure) and coupons
(rules and unique codes), from the events of their owners."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sales_service.domain.coupons import Coupon, normalise_code
from sales_service.domain.customers import CustomerCopy


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def customer_changed(uow, data: dict[str, Any], occurred_at: str) -> bool:
    """customer.created / customer.updated: the newest revision wins."""
    return uow.customers.upsert(CustomerCopy.from_event(data, _time(occurred_at)))


def customers_merged(uow, data: dict[str, Any], occurred_at: str) -> dict[str, int]:
    """customer.merged: the merged ids now mean the survivor, here too."""
    survivor = data["survivor_id"]
    merged = [m for m in data["merged_ids"] if m != survivor]
    for customer_id in merged:
        copy = uow.customers.get(customer_id) or CustomerCopy(
            id=customer_id, kind="person", name="", revision=0
        )
        copy.status, copy.merged_into = "merged", survivor
        copy.updated_at = _time(occurred_at)
        uow.customers.write(copy)
    return uow.customers.rekey(merged, survivor)


def customer_erased(uow, data: dict[str, Any], occurred_at: str) -> None:
    """customer.erased: personal details leave the replica and the leads captured for the
    customer; ids, regions and money stay so every total still adds up."""
    customer_id = data["customer_id"]
    copy = uow.customers.get(customer_id) or CustomerCopy(
        id=customer_id, kind="person", name="", revision=0
    )
    copy.erase()
    copy.revision = max(copy.revision, data["revision"])
    copy.updated_at = _time(occurred_at)
    uow.customers.write(copy)
    for lead in uow.leads.of_customer(customer_id):
        lead.forget_contact()
        uow.leads.save(lead)


def _min_order(data: dict) -> tuple[Decimal | None, str | None]:
    minimum = data.get("min_order")
    if not minimum:
        return None, None
    return Decimal(minimum["amount"]), minimum["currency"]


def coupon_defined(uow, data: dict[str, Any]) -> bool:
    """campaign.coupon.issued / updated: full state; older revisions are ignored."""
    amount, currency = _min_order(data)
    coupon = Coupon(
        id=data["coupon_id"],
        name=data["name"],
        mode=data["mode"],
        discount_kind=data["discount_kind"],
        value=Decimal(data["value"]),
        active=data["active"],
        revision=data["revision"],
        campaign_id=data.get("campaign_id"),
        code=normalise_code(data["code"]) if data.get("code") else None,
        currency=data.get("currency"),
        valid_from=_time(data.get("valid_from")),
        valid_until=_time(data.get("valid_until")),
        max_redemptions=data.get("max_redemptions"),
        max_per_customer=data.get("max_per_customer"),
        min_order_amount=amount,
        min_order_currency=currency,
    )
    return uow.coupons.store(coupon)


def coupon_codes_issued(uow, data: dict[str, Any]) -> int:
    """campaign.coupon.codes_issued: single-use codes (they may arrive before the coupon)."""
    codes = [normalise_code(c) for c in data["codes"] if str(c).strip()]
    return uow.coupons.add_codes(data["coupon_id"], data["batch"], codes)
