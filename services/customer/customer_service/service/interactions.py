"""Follow-up records on a customer."""

from __future__ import annotations

from typing import Any

from customer_service.domain.errors import InvalidValue, NotFound
from customer_service.domain.interactions import KINDS, OUTCOMES, Interaction
from customer_service.service.access import visible_customer
from servicekit.etag import check_version
from servicekit.identity import Identity

EDITABLE = ("subject", "notes", "outcome", "next_step", "next_step_due", "occurred_at", "kind")


def log_interaction(uow, actor: Identity, customer_id: str, data: dict[str, Any]) -> Interaction:
    customer = visible_customer(uow, actor, customer_id)
    customer.ensure_active()
    interaction = Interaction.log(
        customer_id=customer.id, actor_id=actor.id, actor_name=actor.name, **data
    )
    uow.interactions.add(interaction)
    uow.commit()
    return interaction


def amend_interaction(
    uow,
    actor: Identity,
    customer_id: str,
    interaction_id: str,
    expected_version: int,
    changes: dict[str, Any],
) -> Interaction:
    visible_customer(uow, actor, customer_id)
    item = uow.interactions.get(customer_id, interaction_id)
    if item is None:
        raise NotFound(f"no interaction {interaction_id}")
    check_version(item.version, expected_version)
    if "kind" in changes and changes["kind"] not in KINDS:
        raise InvalidValue(f"kind must be one of {', '.join(KINDS)}")
    if changes.get("outcome") is not None and changes["outcome"] not in OUTCOMES:
        raise InvalidValue(f"outcome must be one of {', '.join(OUTCOMES)}")
    for key, value in changes.items():
        setattr(item, key, value)
    if item.next_step_due is not None and item.next_step is None:
        raise InvalidValue("next_step_due needs a next_step")
    uow.interactions.save(item)
    uow.commit()
    return item
