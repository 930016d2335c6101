"""Customer use cases: create, change, assign, tag, consent, merge, erase."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from customer_service.adapters import tables as t
from customer_service.domain.attributes import validate_attributes
from customer_service.domain.contact_points import normalise_email, normalise_phone
from customer_service.domain.duplicates import (
    NAME_THRESHOLD,
    Candidate,
    best_candidates,
    name_similarity,
)
from customer_service.domain.errors import DuplicateCandidate, InvalidValue, NotFound
from customer_service.domain.model import Customer
from customer_service.service.access import can_see, visible_customer
from customer_service.service.segmenting import refresh_memberships
from servicekit.identity import Identity


def _check_version(customer: Customer, expected_version: int | None) -> None:
    from servicekit.etag import check_version

    if expected_version is not None:
        check_version(customer.version, expected_version)


def _prepare_attributes(uow, data: dict[str, Any], creating: bool) -> None:
    if "attributes" in data or creating:
        definitions = uow.attributes.all()
        data["attributes"] = validate_attributes(
            data.get("attributes") or {}, definitions, creating=creating
        )


def _check_company(uow, data: dict[str, Any]) -> None:
    company_id = data.get("company_id")
    if company_id and not uow.customers.is_company(company_id):
        raise InvalidValue(f"company_id {company_id} is not an active company customer")


def duplicate_candidates(uow, customer: Customer) -> list[Candidate]:
    """Active customers that are probably ``customer``: same email or phone, or a close name."""
    found = uow.customers.matching_contact_points(
        [e.address for e in customer.emails],
        [p.number for p in customer.phones],
        exclude=customer.id,
    )
    key = customer.name_key
    for other_id, other_key in uow.customers.name_neighbours(customer):
        score = name_similarity(key, other_key)
        if score >= NAME_THRESHOLD:
            found.append(Candidate(other_id, "name", score, other_key))
    active = {
        c.id for c in uow.customers.get_many(sorted({c.customer_id for c in found})) if c.is_active
    }
    return best_candidates([c for c in found if c.customer_id in active])


def create_customer(uow, actor: Identity, data: dict[str, Any], *, force: bool = False) -> Customer:
    data = dict(data)
    _prepare_attributes(uow, data, creating=True)
    _check_company(uow, data)
    if actor.has_role("sales_rep") and not actor.has_role("sales_manager", "admin"):
        # A rep's new customer is the rep's; reps cannot hand customers to others.
        data["owner_id"], data["owner_team"] = actor.id, actor.team
    elif "owner_id" not in data and actor.kind == "user" and actor.has_role("sales_manager"):
        data["owner_id"], data["owner_team"] = actor.id, actor.team
    customer = Customer.create(created_by=actor.id, **data)
    if not force:
        candidates = duplicate_candidates(uow, customer)
        if candidates:
            raise DuplicateCandidate([c.as_dict() for c in candidates])
    uow.customers.add(customer)
    refresh_memberships(uow, customer)
    uow.commit()
    return customer


def update_customer(
    uow, actor: Identity, customer_id: str, expected_version: int | None, changes: dict[str, Any]
) -> Customer:
    customer = visible_customer(uow, actor, customer_id)
    _check_version(customer, expected_version)
    changes = dict(changes)
    if "attributes" in changes:
        merged = {**customer.attributes, **(changes["attributes"] or {})}
        changes["attributes"] = {k: v for k, v in merged.items() if v is not None}
        _prepare_attributes(uow, changes, creating=False)
    _check_company(uow, changes)
    if customer.update(changes):
        uow.customers.save(customer)
        refresh_memberships(uow, customer)
    uow.commit()
    return customer


def assign_owner(
    uow, actor: Identity, customer_id: str, owner_id: str | None, owner_team: str | None
) -> Customer:
    customer = visible_customer(uow, actor, customer_id)
    if (
        actor.has_role("sales_rep")
        and not actor.has_role("sales_manager", "admin")
        and owner_id != actor.id
    ):
        raise NotFound(f"no customer {customer_id}")  # reps cannot give customers away
    if customer.assign(owner_id, owner_team):
        uow.customers.save(customer)
        refresh_memberships(uow, customer)
    uow.commit()
    return customer


def retag(uow, actor: Identity, customer_id: str, add: list[str], remove: list[str]) -> Customer:
    customer = visible_customer(uow, actor, customer_id)
    if customer.retag(add, remove):
        uow.customers.save(customer)
        refresh_memberships(uow, customer)
    uow.commit()
    return customer


def set_consent(
    uow,
    actor: Identity | None,
    customer_id: str,
    channel: str,
    status: str,
    source: str,
    *,
    evidence: str | None = None,
    at: datetime | None = None,
    check_access: bool = True,
) -> Customer:
    customer = (
        visible_customer(uow, actor, customer_id)
        if check_access
        else uow.customers.get(customer_id)
    )
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    consent = customer.set_consent(channel, status, source, at)
    if consent is not None:
        uow.customers.save(customer)
        uow.customers.log_consent(
            customer.id, consent, actor.subject if actor else None, evidence, datetime.now(UTC)
        )
        refresh_memberships(uow, customer)
    uow.commit()
    return customer


def merge_customers(
    uow, actor: Identity, survivor_id: str, duplicate_ids: list[str], *, dry_run: bool
) -> tuple[Customer, list[str]]:
    """Merge duplicates into the survivor; with ``dry_run`` nothing is written."""
    if not duplicate_ids:
        raise InvalidValue("name at least one duplicate to merge")
    if len(set(duplicate_ids)) != len(duplicate_ids):
        raise InvalidValue("duplicate_ids repeats an id")
    survivor = visible_customer(uow, actor, survivor_id)
    duplicates = []
    for dup_id in duplicate_ids:
        dup = uow.customers.get(dup_id)
        if dup is None or not can_see(actor, dup):
            raise NotFound(f"no customer {dup_id}")
        duplicates.append(dup)
    changed = survivor.absorb(duplicates)
    if dry_run:
        uow.rollback()
        return survivor, changed
    ids = [d.id for d in duplicates]
    uow.interactions.rekey(ids, survivor.id)
    uow.ledger.rekey(ids, survivor.id)
    uow.customers.rekey_company(ids, survivor.id)
    # The order ledger, now re-keyed, is the authority on behaviour.
    survivor.apply_behaviour(uow.ledger.behaviour(survivor.id))
    uow.customers.save(survivor)
    for dup in duplicates:
        uow.customers.save(dup)
        refresh_memberships(uow, dup)
    for consent in survivor.consents.values():
        uow.customers.log_consent(survivor.id, consent, actor.subject, "merge", datetime.now(UTC))
    refresh_memberships(uow, survivor)
    uow.session.execute(
        insert(t.merges).values(
            id=str(uuid.uuid4()),
            survivor_id=survivor.id,
            merged_ids=ids,
            changed_fields=changed,
            performed_by=actor.subject,
            performed_at=datetime.now(UTC),
        )
    )
    uow.commit()
    return survivor, changed


def erase_customer(uow, actor: Identity, customer_id: str) -> Customer:
    customer = visible_customer(uow, actor, customer_id)
    customer.erase()
    uow.customers.save(customer)
    uow.interactions.scrub(customer.id)
    for consent in customer.consents.values():
        uow.customers.log_consent(customer.id, consent, actor.subject, "erasure", datetime.now(UTC))
    refresh_memberships(uow, customer)
    uow.commit()
    return customer


def normalise_lookup(email: str | None, phone: str | None, country: str | None):
    """Normalised contact points for matching, ignoring ones that do not parse."""
    emails, phones = [], []
    if email:
        try:
            emails.append(normalise_email(email))
        except InvalidValue:
            pass
    if phone:
        try:
            phones.append(normalise_phone(phone, country))
        except InvalidValue:
            pass
    return emails, phones
