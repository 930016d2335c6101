"""Domain events rendered as contract events (libs/event_contracts/.../customer)."""

from __future__ import annotations

from customer_service.domain import events
from customer_service.domain.model import Customer
from servicekit.events import OutgoingEvent
from servicekit.jsonutil import isoformat


def customer_data(c: Customer) -> dict:
    return {
        "customer_id": c.id,
        "kind": c.kind,
        "name": c.name,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "company_id": c.company_id,
        "job_title": c.job_title,
        "emails": [
            {"address": e.address, "label": e.label, "primary": e.primary} for e in c.emails
        ],
        "phones": [{"number": p.number, "label": p.label, "primary": p.primary} for p in c.phones],
        "primary_email": c.primary_email,
        "primary_phone": c.primary_phone,
        "country": c.address.country,
        "region": c.address.region,
        "city": c.address.city,
        "industry": c.industry,
        "size": c.size,
        "source": c.source,
        "lifecycle_stage": c.lifecycle_stage,
        "owner_id": c.owner_id,
        "owner_team": c.owner_team,
        "tags": list(c.tags),
        "attributes": c.attributes,
        "demographics": c.demographics,
        "psychographics": c.psychographics,
        "status": c.status,
        "created_at": isoformat(c.created_at),
        "updated_at": isoformat(c.updated_at),
        "revision": c.version,
    }


def _segment_data(s) -> dict:
    return {
        "segment_id": s.id,
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "rules": s.rules,
        "status": s.status,
        "revision": s.version,
    }


def to_integration(event) -> OutgoingEvent | None:
    if isinstance(event, events.CustomerCreated):
        c = event.customer
        return OutgoingEvent(
            "customer.created",
            customer_data(c),
            aggregate_type="customer",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    if isinstance(event, events.CustomerUpdated):
        c = event.customer
        data = {**customer_data(c), "changed_fields": list(event.changed_fields)}
        return OutgoingEvent(
            "customer.updated",
            data,
            aggregate_type="customer",
            aggregate_id=c.id,
            aggregate_version=c.version,
        )
    if isinstance(event, events.CustomerMerged):
        return OutgoingEvent(
            "customer.merged",
            {
                "survivor_id": event.survivor_id,
                "merged_ids": list(event.merged_ids),
                "merged_at": event.merged_at,
                "revision": event.revision,
            },
            aggregate_type="customer",
            aggregate_id=event.survivor_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.CustomerErased):
        return OutgoingEvent(
            "customer.erased",
            {
                "customer_id": event.customer_id,
                "erased_at": event.erased_at,
                "revision": event.revision,
            },
            aggregate_type="customer",
            aggregate_id=event.customer_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.ConsentChanged):
        return OutgoingEvent(
            "customer.consent.changed",
            {
                "customer_id": event.customer_id,
                "channel": event.channel,
                "status": event.status,
                "source": event.source,
                "changed_at": event.changed_at,
                "revision": event.revision,
            },
            aggregate_type="customer",
            aggregate_id=event.customer_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.InteractionLogged):
        i = event.interaction
        return OutgoingEvent(
            "customer.interaction.logged",
            {
                "interaction_id": i.id,
                "customer_id": i.customer_id,
                "kind": i.kind,
                "occurred_at": i.occurred_at,
                "actor_id": _uuid_or_none(i.actor_id),
                "outcome": i.outcome,
                "next_step": i.next_step,
                "next_step_due": i.next_step_due,
            },
            aggregate_type="interaction",
            aggregate_id=i.id,
            aggregate_version=i.version,
        )
    if isinstance(event, events.SegmentDefined):
        s = event.segment
        return OutgoingEvent(
            "customer.segment.created" if event.created else "customer.segment.updated",
            _segment_data(s),
            aggregate_type="segment",
            aggregate_id=s.id,
            aggregate_version=s.version,
        )
    if isinstance(event, events.SegmentArchived):
        return OutgoingEvent(
            "customer.segment.archived",
            {"segment_id": event.segment_id, "revision": event.revision},
            aggregate_type="segment",
            aggregate_id=event.segment_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.MemberAdded | events.MemberRemoved):
        verb = "member_added" if isinstance(event, events.MemberAdded) else "member_removed"
        return OutgoingEvent(
            f"customer.segment.{verb}",
            {"segment_id": event.segment_id, "customer_id": event.customer_id, "at": event.at},
            aggregate_type="segment",
            aggregate_id=event.segment_id,
        )
    if isinstance(event, events.LeadMatched):
        return OutgoingEvent(
            "customer.lead.matched",
            {
                "lead_id": event.lead_id,
                "customer_id": event.customer_id,
                "created": event.created,
                "matched_on": event.matched_on,
            },
            aggregate_type="customer",
            aggregate_id=event.customer_id,
        )
    raise TypeError(f"no contract for domain event {type(event).__name__}")


def _uuid_or_none(value: str | None) -> str | None:
    """Actors are user or key ids (UUIDs); anything else (system) is not published."""
    if value and len(value) == 36 and value.count("-") == 4:
        return value
    return None
