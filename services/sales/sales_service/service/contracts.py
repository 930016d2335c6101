"""Contract use cases: draft, change, sign, renew, terminate; renewal reminders and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sales_service.domain.contracts import Contract
from sales_service.domain.errors import InvalidValue, MissingFxRate
from sales_service.domain.tasks import Task
from sales_service.service.access import settle_owner, visible
from sales_service.service.common import customer_for, fx_rate, now
from servicekit.etag import check_version
from servicekit.identity import Identity


def _contract(uow, actor: Identity, contract_id: str, version: int | None = None) -> Contract:
    contract = visible(uow.contracts, actor, "contracts", contract_id)
    if version is not None:
        check_version(contract.version, version)
    return contract


def draft_contract(uow, actor: Identity, data: dict[str, Any]) -> Contract:
    data = dict(data)
    at = now(uow)
    customer = customer_for(uow, data.pop("customer_id"))
    if data.get("opportunity_id"):
        deal = visible(uow.opportunities, actor, "opportunities", data["opportunity_id"])
        if deal.customer_id != customer.id:
            raise InvalidValue("the opportunity belongs to another customer")
    if data.get("order_id"):
        order = visible(uow.orders, actor, "orders", data["order_id"])
        if order.customer_id != customer.id:
            raise InvalidValue("the order belongs to another customer")
    data.setdefault("currency", uow.config.base_currency)
    data["fx_rate"] = fx_rate(uow, data["currency"], at)
    owner = settle_owner(
        actor,
        data.pop("owner_id", None),
        data.pop("owner_team", None),
        fallback=(customer.owner_id, customer.owner_team),
    )
    data.setdefault("region", customer.region or customer.country)
    contract = Contract.draft(
        number=uow.numbers.next("CT", at.year),
        customer_id=customer.id,
        base_currency=uow.config.base_currency,
        created_by=actor.id,
        now=at,
        **data,
    )
    contract.owner_id, contract.owner_team = owner
    uow.contracts.add(contract)
    uow.commit()
    return contract


def change_contract(uow, actor: Identity, contract_id: str, version: int, changes: dict):
    contract = _contract(uow, actor, contract_id, version)
    changes = dict(changes)
    owner = None
    if "owner_id" in changes or "owner_team" in changes:
        owner = settle_owner(
            actor, changes.pop("owner_id", None), changes.pop("owner_team", None), explicit=True
        )
    if "value" in changes or "currency" in changes:
        changes["fx_rate"] = fx_rate(uow, changes.get("currency", contract.currency), now(uow))
    changed = bool(contract.update(changes, now(uow))) if changes else False
    if owner is not None:
        changed = contract.reassign(*owner, now=now(uow)) or changed
    if changed:
        uow.contracts.save(contract)
    uow.commit()
    return contract


def sign(uow, actor: Identity, contract_id: str, body: dict) -> Contract:
    contract = _contract(uow, actor, contract_id, body.get("expected_version"))
    contract.sign(body.get("signed_at") or now(uow))
    uow.contracts.save(contract)
    uow.commit()
    return contract


def terminate(uow, actor: Identity, contract_id: str, body: dict) -> Contract:
    contract = _contract(uow, actor, contract_id, body.get("expected_version"))
    contract.terminate(body.get("reason"), now(uow))
    uow.contracts.save(contract)
    uow.commit()
    return contract


def renew(uow, actor: Identity, contract_id: str, body: dict) -> tuple[Contract, Contract]:
    contract = _contract(uow, actor, contract_id, body.get("expected_version"))
    at = now(uow)
    successor = contract.renew(
        number=uow.numbers.next("CT", at.year),
        end_date=body.get("end_date"),
        value=body.get("value"),
        fx_rate=fx_rate(uow, contract.currency, at),
        by=actor.id,
        now=at,
    )
    uow.contracts.save(contract)
    uow.contracts.add(successor)
    uow.commit()
    return contract, successor


def send_renewal_reminders(uow_factory, at: datetime) -> int:
    """For every active contract inside its notice period: a renewal task for its owner and
    sales.contract.renewal_due, once per contract."""
    with uow_factory() as uow:
        ids = uow.contracts.due_for_notice(at.date())
    done = 0
    for contract_id in ids:
        with uow_factory() as uow:
            contract = uow.contracts.get(contract_id)
            if contract is None or not contract.needs_renewal_notice(at.date()):
                continue
            due_day = min(contract.end_date, (at + timedelta(days=7)).date())
            task = Task.plan(
                kind="follow_up",
                subject=f"Renew contract {contract.number}: {contract.title}"[:300],
                assignee_id=contract.owner_id,
                assignee_team=contract.owner_team,
                related_type="contract",
                related_id=contract.id,
                customer_id=contract.customer_id,
                priority="high",
                due_at=max(at, datetime.combine(due_day, time(9), tzinfo=UTC)),
                notes=f"The contract ends on {contract.end_date.isoformat()}.",
                now=at,
            )
            uow.tasks.add(task)
            contract.note_renewal_due(task.id, at)
            uow.contracts.save(contract)
            uow.commit()
            done += 1
    return done


def expire_ended(uow_factory, at: datetime) -> int:
    """Active contracts past their end: renewed automatically when they say so, else expired."""
    with uow_factory() as uow:
        ids = uow.contracts.ended(at.date())
    done = 0
    for contract_id in ids:
        with uow_factory() as uow:
            contract = uow.contracts.get(contract_id)
            if contract is None or contract.status != "active":
                continue
            if contract.auto_renew:
                try:
                    rate = fx_rate(uow, contract.currency, at)
                except MissingFxRate:
                    rate = contract.fx_rate  # no newer rate recorded: the last one known
                successor = contract.renew(
                    number=uow.numbers.next("CT", at.year), fx_rate=rate, now=at
                )
                uow.contracts.add(successor)
            elif not contract.expire(at):
                continue
            uow.contracts.save(contract)
            uow.commit()
            done += 1
    return done
