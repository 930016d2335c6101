"""Lead use cases: capture (with the customer choreography), assignment, qualification,
conversion into an opportunity, and the assignment rules."""

from __future__ import annotations

from typing import Any

from sales_service.domain.errors import InvalidValue, NotFound
from sales_service.domain.leads import AssignmentRule, Contact, Lead
from sales_service.service import opportunities
from sales_service.service.access import is_rep_only, settle_owner, visible
from sales_service.service.common import customer_for, now
from servicekit.etag import check_version
from servicekit.identity import Identity


def _lead(uow, actor: Identity, lead_id: str, version: int | None = None) -> Lead:
    lead = visible(uow.leads, actor, "leads", lead_id)
    if version is not None:
        check_version(lead.version, version)
    return lead


def route(uow, lead: Lead) -> tuple[str, str | None, str] | None:
    """(owner_id, owner_team, rule_id) from the first assignment rule that takes the lead."""
    for rule in uow.rules.ordered():
        if not rule.matches(lead):
            continue
        if rule.strategy == "round_robin":
            rep = rule.pick(uow.rules.take_turn(rule.id))
            return rep.user_id, rep.team or rule.team, rule.id
        target = rule.route(lead)
        return target.user_id, target.team or rule.team, rule.id
    return None


def create_lead(uow, actor: Identity, data: dict[str, Any]) -> Lead:
    """Record a lead. With inline ``contact`` details (a web form) the customer service is
    asked, through sales.lead.captured, to find or create the customer; its answer
    (customer.lead.matched) links the lead. With ``customer_id`` the lead is linked at once."""
    data = dict(data)
    contact_data = data.pop("contact", None)
    customer_id = data.pop("customer_id", None)
    owner_id, owner_team = data.pop("owner_id", None), data.pop("owner_team", None)
    customer = customer_for(uow, customer_id) if customer_id else None
    contact = Contact.from_dict(contact_data) if contact_data else None
    lead = Lead.create(
        contact=contact,
        customer_id=customer.id if customer else None,
        customer_region=customer.region if customer else None,
        customer_country=customer.country if customer else None,
        created_by=actor.id,
        now=now(uow),
        **data,
    )
    routed = None
    if owner_id is None and not is_rep_only(actor):
        routed = route(uow, lead)
    if routed is not None:
        lead.assign(routed[0], routed[1], rule_id=routed[2], announce=False, now=lead.created_at)
    else:
        fallback = (customer.owner_id, customer.owner_team) if customer else (None, None)
        owner = settle_owner(actor, owner_id, owner_team, fallback=fallback)
        if owner != (None, None):
            lead.assign(*owner, announce=False, now=lead.created_at)
    uow.leads.add(lead)
    lead.announce()
    if contact is not None and lead.customer_id is None:
        lead.emit("lead.captured")
    uow.commit()
    return lead


def update_lead(uow, actor: Identity, lead_id: str, version: int, changes: dict) -> Lead:
    lead = _lead(uow, actor, lead_id, version)
    changes = dict(changes)
    customer_id = changes.pop("customer_id", None)
    changed = bool(lead.update(changes, now(uow)))
    if customer_id and customer_id != lead.customer_id:
        customer = customer_for(uow, customer_id)
        changed = lead.link(customer.id, matched_on="manual", now=now(uow)) or changed
    if changed:
        uow.leads.save(lead)
    uow.commit()
    return lead


def assign_lead(
    uow, actor: Identity, lead_id: str, owner_id: str | None, owner_team: str | None, auto: bool
) -> Lead:
    lead = _lead(uow, actor, lead_id)
    if auto:
        routed = route(uow, lead)
        if routed is None:
            raise InvalidValue("no active assignment rule takes this lead")
        owner_id, owner_team, rule_id = routed
        if is_rep_only(actor) and owner_id != actor.id:
            raise InvalidValue("sales reps cannot pass leads on; ask your manager")
    else:
        owner_id, owner_team = settle_owner(actor, owner_id, owner_team, explicit=True)
        rule_id = None
    if lead.assign(owner_id, owner_team, rule_id=rule_id, by=actor.id, now=now(uow)):
        uow.leads.save(lead)
    uow.commit()
    return lead


def transition(uow, actor: Identity, lead_id: str, action: str, body: dict) -> Lead:
    lead = _lead(uow, actor, lead_id, body.pop("expected_version", None))
    at = now(uow)
    if action == "work":
        lead.start_work(at)
    elif action == "qualify":
        lead.qualify(at)
    elif action == "disqualify":
        lead.disqualify(body.get("reason"), at)
    elif action == "reopen":
        lead.reopen(at)
    else:  # pragma: no cover - the API only routes the actions above
        raise InvalidValue(f"unknown action {action}")
    uow.leads.save(lead)
    uow.commit()
    return lead


def convert_lead(uow, actor: Identity, lead_id: str, data: dict[str, Any]):
    """Turn the lead into an opportunity (one transaction: both change or neither)."""
    lead = _lead(uow, actor, lead_id, data.pop("expected_version", None))
    if not lead.customer_id:
        lead.convert("", now(uow))  # raises the explanatory StateConflict
    data = dict(data)
    data.setdefault("name", f"{lead.company or (lead.contact.name if lead.contact else 'Lead')}")
    data.setdefault("campaign_id", lead.campaign_id)
    data.setdefault("source", lead.source)
    data.setdefault("region", lead.region)
    if "owner_id" not in data:
        data["owner_id"], data["owner_team"] = lead.owner_id, lead.owner_team
    opportunity = opportunities.open_opportunity(
        uow, actor, {**data, "customer_id": lead.customer_id, "lead_id": lead.id}, commit=False
    )
    lead.convert(opportunity.id, now(uow))
    uow.leads.save(lead)
    uow.commit()
    return lead, opportunity


def link_matched_lead(uow, lead_id: str, customer_id: str, created: bool, matched_on) -> None:
    """customer.lead.matched: the customer service found or created the lead's customer."""
    lead = uow.leads.get(lead_id)
    if lead is None:
        return  # not one of ours
    if lead.customer_id and lead.customer_id != customer_id and lead.matched_on == "manual":
        return  # a person linked it by hand meanwhile; their choice stands
    if lead.link(customer_id, created=created, matched_on=matched_on, now=now(uow)):
        uow.leads.save(lead)


# -- assignment rules -------------------------------------------------------------------------


def create_rule(uow, actor: Identity, data: dict[str, Any]) -> AssignmentRule:
    rule = AssignmentRule.create(**data)
    uow.rules.add(rule)
    uow.commit()
    return rule


def _rule(uow, rule_id: str, version: int | None = None) -> AssignmentRule:
    rule = uow.rules.get(rule_id)
    if rule is None:
        raise NotFound(f"no assignment rule {rule_id}")
    if version is not None:
        check_version(rule.version, version)
    return rule


def update_rule(uow, actor: Identity, rule_id: str, version: int, changes: dict):
    rule = _rule(uow, rule_id, version)
    if rule.update(changes, now(uow)):
        uow.rules.save(rule)
    uow.commit()
    return rule


def delete_rule(uow, actor: Identity, rule_id: str, version: int | None) -> None:
    rule = _rule(uow, rule_id, version)
    rule.delete(now(uow))
    uow.rules.remove(rule)
    uow.commit()
