"""Events from other services, turned into commands on sales data.

- ``customer.created/updated/merged/erased`` keep the customer replica (names, kind, region,
  owner, tier); a merge re-keys every sales record of the merged ids to the survivor; an
  erasure drops personal details but keeps ids and money;
- ``customer.lead.matched`` links a captured lead to its deduplicated customer;
- ``campaign.coupon.issued/updated/codes_issued`` keep the coupon rules and unique codes;
- ``support.return.approved`` records the return on the order (once; impossible ones parked).

Handlers run inside the consumer's unit of work (which commits); replays and out-of-order
arrivals are harmless (inbox plus revision checks).
"""

from __future__ import annotations

from sales_service.service import leads, orders, replicas
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope

registry = HandlerRegistry()


@registry.on("customer.created")
@registry.on("customer.updated")
def on_customer_changed(envelope: Envelope, uow) -> None:
    replicas.customer_changed(uow, envelope.data, envelope.occurred_at)


@registry.on("customer.merged")
def on_customers_merged(envelope: Envelope, uow) -> None:
    replicas.customers_merged(uow, envelope.data, envelope.occurred_at)


@registry.on("customer.erased")
def on_customer_erased(envelope: Envelope, uow) -> None:
    replicas.customer_erased(uow, envelope.data, envelope.occurred_at)


@registry.on("customer.lead.matched")
def on_lead_matched(envelope: Envelope, uow) -> None:
    data = envelope.data
    leads.link_matched_lead(
        uow, data["lead_id"], data["customer_id"], data["created"], data.get("matched_on")
    )


@registry.on("campaign.coupon.issued")
@registry.on("campaign.coupon.updated")
def on_coupon_defined(envelope: Envelope, uow) -> None:
    replicas.coupon_defined(uow, envelope.data)


@registry.on("campaign.coupon.codes_issued")
def on_coupon_codes(envelope: Envelope, uow) -> None:
    replicas.coupon_codes_issued(uow, envelope.data)


@registry.on("support.return.approved")
def on_return_approved(envelope: Envelope, uow) -> None:
    orders.return_approved(uow, envelope.data)
