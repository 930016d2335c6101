"""What happens in the campaign service, in the past tense.

Events about an aggregate carry the aggregate itself: the integration layer renders its full
state at commit time, so consumers receive exactly what the transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CampaignChanged:
    """``verb`` is created, updated, scheduled, launched, paused, resumed, completed, cancelled."""

    campaign: Any
    verb: str
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class WinnerSelected:
    campaign: Any
    variant_id: str
    metric: str
    method: str
    scores: tuple[dict, ...]
    selected_at: datetime


@dataclass(frozen=True)
class AudienceResolved:
    campaign_id: str
    recipients: int
    held_for_winner: int
    per_variant: dict[str, int]
    excluded: dict[str, int]
    resolved_at: datetime


@dataclass(frozen=True)
class SendFinished:
    campaign_id: str
    totals: dict[str, int]
    finished_at: datetime


@dataclass(frozen=True)
class MessageRef:
    message_id: str
    campaign_id: str
    variant_id: str
    customer_id: str
    purpose: str = "campaign"


@dataclass(frozen=True)
class MessageSent:
    ref: MessageRef
    sent_at: datetime


@dataclass(frozen=True)
class MessageDelivered:
    ref: MessageRef
    delivered_at: datetime
    attempts: int
    smtp_code: int | None


@dataclass(frozen=True)
class MessageBounced:
    ref: MessageRef
    bounce_type: str
    smtp_code: int | None
    reason: str | None
    attempts: int
    bounced_at: datetime


@dataclass(frozen=True)
class MessageOpened:
    ref: MessageRef
    opened_at: datetime
    first: bool
    machine: bool
    machine_reason: str | None


@dataclass(frozen=True)
class MessageClicked:
    ref: MessageRef
    clicked_at: datetime
    link_id: str
    url: str
    first: bool
    machine: bool
    machine_reason: str | None


@dataclass(frozen=True)
class RecipientUnsubscribed:
    customer_id: str
    campaign_id: str | None
    message_id: str | None
    method: str
    unsubscribed_at: datetime
    channel: str = "email"


@dataclass(frozen=True)
class CostRecorded:
    cost: Any
    spend: Any
    budget: Any


@dataclass(frozen=True)
class CostRemoved:
    cost: Any
    spend: Any
    removed_at: datetime


@dataclass(frozen=True)
class BudgetExceeded:
    campaign_id: str
    budget: Any
    spend: Any
    cost_id: str | None
    exceeded_at: datetime


@dataclass(frozen=True)
class TouchpointRecorded:
    touchpoint: Any


@dataclass(frozen=True)
class VisitorLinked:
    anonymous_id: str
    customer_id: str
    touchpoints: int
    linked_at: datetime


@dataclass(frozen=True)
class AttributionRecorded:
    order_id: str
    customer_id: str
    status: str
    method: str
    revenue: Any
    lookback_days: int
    rows: tuple[dict, ...]
    placed_at: datetime | None
    attributed_at: datetime
    revision: int


@dataclass(frozen=True)
class CouponChanged:
    coupon: Any
    created: bool


@dataclass(frozen=True)
class CouponCodesIssued:
    coupon_id: str
    batch: int
    codes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SurveyPublished:
    survey: Any


@dataclass(frozen=True)
class SurveyAnswered:
    response: Any


@dataclass(frozen=True)
class CompetitorChanged:
    competitor: Any
    created: bool
