"""What happens in sales, in the past tense.

Every domain event names what happened (``order.paid``), carries the aggregate it happened to and
the facts that belong to the moment (the previous stage, the reason, the refund). The integration
layer renders the aggregate's state at commit time and adds those facts, so consumers always
receive what the transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Happened:
    name: str
    subject: Any
    details: dict[str, Any] = field(default_factory=dict)
