"""Events from other services, turned into commands on the campaign service's replicas.

- ``customer.created/updated/consent.changed/merged/erased``: the customer replica (names, email,
  language for templates; email consent for audiences; erasure scrubs what we held);
- ``customer.segment.created/updated/archived/member_added/member_removed``: segments and
  membership, the audiences of sends;
- ``sales.order.placed/paid/cancelled/returned``: the order replica and attribution;
- ``sales.fx_rate.set``: exchange rates for converting costs to the base currency;
- ``sales.coupon.redeemed/released``: redemption counts on coupons.

Handlers run inside the consumer's unit of work (which commits); they tolerate replays and events
out of order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from campaign_service.adapters import tables as t
from campaign_service.adapters.sql import insert_ignore
from campaign_service.service import attribution, replica
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope


def build_registry(lookback_days: int = 30) -> HandlerRegistry:
    """The consumer's handlers; ``lookback_days`` is the attribution window."""
    registry = HandlerRegistry()

    @registry.on("customer.created")
    def on_customer_created(envelope: Envelope, uow) -> None:
        replica.upsert_customer(uow, envelope.data)

    @registry.on("customer.updated")
    def on_customer_updated(envelope: Envelope, uow) -> None:
        replica.upsert_customer(uow, envelope.data)

    @registry.on("customer.consent.changed")
    def on_consent_changed(envelope: Envelope, uow) -> None:
        replica.change_consent(uow, envelope.data)

    @registry.on("customer.merged")
    def on_merged(envelope: Envelope, uow) -> None:
        replica.merge(uow, envelope.data)

    @registry.on("customer.erased")
    def on_erased(envelope: Envelope, uow) -> None:
        replica.erase(uow, envelope.data)

    @registry.on("customer.segment.created")
    def on_segment_created(envelope: Envelope, uow) -> None:
        replica.upsert_segment(uow, envelope.data)

    @registry.on("customer.segment.updated")
    def on_segment_updated(envelope: Envelope, uow) -> None:
        replica.upsert_segment(uow, envelope.data)

    @registry.on("customer.segment.archived")
    def on_segment_archived(envelope: Envelope, uow) -> None:
        replica.archive_segment(uow, envelope.data)

    @registry.on("customer.segment.member_added")
    def on_member_added(envelope: Envelope, uow) -> None:
        replica.membership(uow, envelope.data, member=True)

    @registry.on("customer.segment.member_removed")
    def on_member_removed(envelope: Envelope, uow) -> None:
        replica.membership(uow, envelope.data, member=False)

    @registry.on("sales.order.placed")
    def on_order_placed(envelope: Envelope, uow) -> None:
        attribution.order_placed(uow, envelope.data, lookback_days)

    @registry.on("sales.order.paid")
    def on_order_paid(envelope: Envelope, uow) -> None:
        attribution.order_paid(uow, envelope.data, lookback_days)

    @registry.on("sales.order.cancelled")
    def on_order_cancelled(envelope: Envelope, uow) -> None:
        attribution.order_cancelled(uow, envelope.data, lookback_days)

    @registry.on("sales.order.returned")
    def on_order_returned(envelope: Envelope, uow) -> None:
        attribution.order_returned(uow, envelope.data, lookback_days)

    @registry.on("sales.fx_rate.set")
    def on_fx_rate(envelope: Envelope, uow) -> None:
        data = envelope.data
        insert_ignore(
            uow.session,
            t.fx_rates,
            [
                {
                    "fx_rate_id": data["fx_rate_id"],
                    "currency": data["currency"],
                    "base_currency": data["base_currency"],
                    "rate": format(Decimal(data["rate"]), "f"),
                    "effective_from": datetime.fromisoformat(
                        data["effective_from"].replace("Z", "+00:00")
                    ),
                }
            ],
            ["fx_rate_id"],
        )

    @registry.on("sales.coupon.redeemed")
    def on_coupon_redeemed(envelope: Envelope, uow) -> None:
        attribution.redemption(uow, envelope.data, released=False)

    @registry.on("sales.coupon.released")
    def on_coupon_released(envelope: Envelope, uow) -> None:
        attribution.redemption(uow, envelope.data, released=True)

    return registry
