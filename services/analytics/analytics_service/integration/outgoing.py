"""Domain events rendered as contract events (libs/event_contracts/.../analytics)."""

from __future__ import annotations

from analytics_service.domain.scores import CustomerScored
from servicekit.events import OutgoingEvent
from servicekit.jsonutil import isoformat


def to_integration(event) -> OutgoingEvent | None:
    if isinstance(event, CustomerScored):
        s = event.score
        return OutgoingEvent(
            "analytics.customer.scored",
            {
                "customer_id": s.customer_id,
                "rfm": {
                    "recency": s.r,
                    "frequency": s.f,
                    "monetary": s.m,
                    "score": s.score,
                    "segment": s.segment,
                },
                "clv_historic": {"amount": format(s.clv_historic, "f"), "currency": event.currency},
                "clv_predicted": {
                    "amount": format(s.clv_predicted, "f"),
                    "currency": event.currency,
                },
                # A probability, not money: the contract carries it as a JSON number.
                "churn_risk": float(s.churn_risk),
                "computed_at": isoformat(event.computed_at),
            },
            aggregate_type="customer",
            aggregate_id=s.customer_id,
        )
    raise TypeError(f"no contract for domain event {type(event).__name__}")
