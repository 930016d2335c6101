"""What happens to customers and segments, in the past tense.

Events that carry a customer carry the aggregate itself: the integration layer renders the full
profile at commit time, so consumers always receive the state the transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CustomerCreated:
    customer: Any


@dataclass(frozen=True)
class CustomerUpdated:
    customer: Any
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class CustomerMerged:
    survivor_id: str
    merged_ids: tuple[str, ...]
    merged_at: datetime
    revision: int


@dataclass(frozen=True)
class CustomerErased:
    customer_id: str
    erased_at: datetime
    revision: int


@dataclass(frozen=True)
class ConsentChanged:
    customer_id: str
    channel: str
    status: str
    source: str
    changed_at: datetime
    revision: int


@dataclass(frozen=True)
class InteractionLogged:
    interaction: Any


@dataclass(frozen=True)
class SegmentDefined:
    segment: Any
    created: bool


@dataclass(frozen=True)
class SegmentArchived:
    segment_id: str
    revision: int


@dataclass(frozen=True)
class MemberAdded:
    segment_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True)
class MemberRemoved:
    segment_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True)
class LeadMatched:
    lead_id: str
    customer_id: str
    created: bool
    matched_on: str | None
