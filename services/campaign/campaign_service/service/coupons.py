"""Coupon use cases: define, change, issue unique codes."""

from __future__ import annotations

from typing import Any

from campaign_service.domain.coupons import Coupon
from campaign_service.domain.errors import InvalidValue, NotFound
from campaign_service.service.access import visible_campaign
from servicekit.etag import check_version
from servicekit.identity import Identity
from servicekit.types import utcnow


def _check_campaign(uow, actor: Identity, campaign_id: str | None) -> None:
    if campaign_id:
        try:
            visible_campaign(uow, actor, campaign_id)
        except NotFound:
            raise InvalidValue(f"no campaign {campaign_id}") from None


def create_coupon(uow, actor: Identity, data: dict[str, Any]) -> Coupon:
    _check_campaign(uow, actor, data.get("campaign_id"))
    coupon = Coupon.create(created_by=actor.subject, **data)
    if coupon.code and uow.coupons.code_taken(coupon.code):
        raise InvalidValue(f"code {coupon.code} is already in use")
    uow.coupons.add(coupon)
    uow.commit()
    return coupon


def update_coupon(
    uow, actor: Identity, coupon_id: str, expected_version: int | None, changes: dict[str, Any]
) -> Coupon:
    coupon = uow.coupons.get(coupon_id)
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}")
    if expected_version is not None:
        check_version(coupon.version, expected_version)
    if "campaign_id" in changes:
        _check_campaign(uow, actor, changes["campaign_id"])
    if coupon.update(changes):
        uow.coupons.save(coupon)
    uow.commit()
    return coupon


def issue_codes(uow, coupon_id: str, count: int, prefix: str | None) -> tuple[Coupon, list]:
    coupon = uow.coupons.get(coupon_id)
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}")
    batches = coupon.issue_codes(count, prefix, uow.coupons.codes_taken)
    uow.coupons.add_codes(coupon.id, batches, utcnow())
    uow.coupons.save(coupon)
    uow.commit()
    return coupon, batches
