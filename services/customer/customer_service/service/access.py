"""Who may see which customer (object level): reps their own, managers their team's."""

from __future__ import annotations

from customer_service.domain.errors import NotFound
from customer_service.domain.model import Customer
from servicekit.identity import Identity

# role -> how far it reaches. Analysts have no customer access at all (function level).
CUSTOMER_REACH = {
    "sales_rep": "own",
    "sales_manager": "team",
    "marketer": "all",
    "support_agent": "all",
}


def can_see(identity: Identity, customer: Customer) -> bool:
    return identity.can_see(CUSTOMER_REACH, customer.owner_id, customer.owner_team)


def visible_customer(uow, identity: Identity, customer_id: str) -> Customer:
    """The customer, or NotFound when it does not exist or the caller may not see it."""
    customer = uow.customers.get(customer_id)
    if customer is None or not can_see(identity, customer):
        raise NotFound(f"no customer {customer_id}")
    return customer
