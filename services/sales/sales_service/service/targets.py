"""Targets: set, change, withdraw; attainment from paid orders and won deals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sales_service.domain.errors import NotAllowed
from sales_service.domain.targets import Target
from sales_service.service.access import is_manager_only, is_rep_only, visible
from sales_service.service.common import now
from servicekit.etag import check_version
from servicekit.identity import Identity


def _may_set(actor: Identity, target: Target) -> None:
    if is_rep_only(actor):
        raise NotAllowed("targets are set by managers")
    if is_manager_only(actor) and target.team != actor.team:
        raise NotAllowed(f"managers set targets for their own team ({actor.team})")


def set_target(uow, actor: Identity, data: dict[str, Any]) -> Target:
    data = dict(data)
    if data.get("subject") == "rep" and not data.get("team") and is_manager_only(actor):
        data["team"] = actor.team
    target = Target.set(base_currency=uow.config.base_currency, set_by=actor.id, **data)
    _may_set(actor, target)
    uow.targets.add(target)
    uow.commit()
    return target


def change_target(uow, actor: Identity, target_id: str, version: int, changes: dict) -> Target:
    target = visible(uow.targets, actor, "targets", target_id)
    check_version(target.version, version)
    _may_set(actor, target)
    if target.change(
        value=changes.get("value"), notes=changes.get("notes"), set_by=actor.id, now=now(uow)
    ):
        uow.targets.save(target)
    uow.commit()
    return target


def remove_target(uow, actor: Identity, target_id: str, version: int | None) -> None:
    target = visible(uow.targets, actor, "targets", target_id)
    if version is not None:
        check_version(target.version, version)
    _may_set(actor, target)
    target.remove(now(uow))
    uow.targets.remove(target)
    uow.commit()


def attainment(session, target: Target) -> dict[str, Any]:
    """What was achieved towards ``target``: paid revenue (net of cancellations and returns, in
    the base currency) or paid orders by paid date; won deals or their value by close date."""
    from sales_service.service.queries import achieved

    value = achieved(session, target)
    ratio = (value / target.value).quantize(Decimal("0.0001")) if target.value else None
    return {
        "achieved": value,
        "target": target.value,
        "ratio": ratio,
        "remaining": max(target.value - value, Decimal(0)),
        "currency": target.currency,
    }
