"""Satisfaction surveys: CSAT (1-5) or NPS (0-10), sent after resolution with a single-use link.

The link's token exists only in the email: the database keeps its SHA-256, so a leaked database
cannot answer surveys, and the token is 256 random bits, so it cannot be guessed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicekit.domain import EventRecorder
from support_service.domain import events
from support_service.domain.errors import Gone, InvalidValue, StateConflict

SCALES = {"csat": (1, 5), "nps": (0, 10)}
STATUSES = ("scheduled", "sent", "answered", "expired", "cancelled", "failed")
MAX_SEND_ATTEMPTS = 6


def hash_token(token: str) -> str:
    """What is stored of a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A 256-bit random, URL-safe link token."""
    return secrets.token_urlsafe(32)


def nps_category(score: int) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def is_satisfied(kind: str, score: int) -> bool:
    """CSAT counts 4 and 5 as satisfied; NPS counts promoters."""
    return score >= 4 if kind == "csat" else score >= 9


@dataclass(eq=False)
class Survey(EventRecorder):
    id: str
    ticket_id: str
    customer_id: str
    kind: str
    send_at: datetime
    low_score_threshold: int
    low_score_action: str
    agent_id: str | None = None
    group_id: str | None = None
    policy_id: str | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    status: str = "scheduled"
    token_hash: str | None = None
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    answered_at: datetime | None = None
    score: int | None = None
    comment: str | None = None
    attempts: int = 0
    last_error: str | None = None
    follow_up: str | None = None
    follow_up_ticket_id: str | None = None
    created_at: datetime | None = None
    version: int = 1
    persisted_version: int = 0

    @classmethod
    def schedule(
        cls,
        *,
        ticket_id: str,
        customer_id: str,
        kind: str,
        send_at: datetime,
        low_score_threshold: int,
        low_score_action: str,
        agent_id: str | None,
        group_id: str | None,
        policy_id: str | None,
        now: datetime,
    ) -> Survey:
        """A survey to send at ``send_at``."""
        if kind not in SCALES:
            raise InvalidValue("survey kind must be csat or nps")
        return cls(
            id=str(uuid.uuid4()),
            ticket_id=ticket_id,
            customer_id=customer_id,
            kind=kind,
            send_at=send_at,
            low_score_threshold=low_score_threshold,
            low_score_action=low_score_action,
            agent_id=agent_id,
            group_id=group_id,
            policy_id=policy_id,
            created_at=now,
        )

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]

    @property
    def satisfied(self) -> bool | None:
        return is_satisfied(self.kind, self.score) if self.score is not None else None

    @property
    def low_score(self) -> bool | None:
        return self.score <= self.low_score_threshold if self.score is not None else None

    def _bump(self) -> None:
        self.version += 1

    def issue_token(self, recipient_email: str, recipient_name: str | None) -> str:
        """A fresh token for the email about to be sent (a previous unsent one dies)."""
        if self.status != "scheduled":
            raise StateConflict(f"survey {self.id} is {self.status}")
        token = new_token()
        self.token_hash = hash_token(token)
        self.recipient_email = recipient_email
        self.recipient_name = recipient_name
        self.attempts += 1
        self._bump()
        return token

    def mark_sent(self, now: datetime, ttl: timedelta) -> None:
        """The email went out: the link lives for ``ttl`` from now."""
        if self.status != "scheduled":
            raise StateConflict(f"survey {self.id} is {self.status}")
        self.status = "sent"
        self.sent_at = now
        self.expires_at = now + ttl
        self.last_error = None
        self._bump()
        self.record(events.SurveySent(self))

    def mark_failed(self, error: str, *, permanent: bool, retry_at: datetime) -> None:
        """Delivery failed: retry later, or give up on a hard bounce."""
        self.last_error = error[:500]
        self.token_hash = None
        if permanent or self.attempts >= MAX_SEND_ATTEMPTS:
            self.status = "failed"
        else:
            self.send_at = retry_at
        self._bump()

    def cancel(self, reason: str) -> None:
        """Do not send (or accept) this survey any more."""
        if self.status in ("scheduled", "sent"):
            self.status = "cancelled"
            self.last_error = reason
            self._bump()

    def check_open(self, now: datetime) -> None:
        """Raise unless the survey can be answered now."""
        if self.status == "answered":
            raise StateConflict("This survey was already answered. Thank you!")
        if self.status in ("cancelled", "failed", "scheduled"):
            raise Gone("This survey link is no longer valid.")
        if self.status == "expired" or (self.expires_at is not None and now >= self.expires_at):
            raise Gone("This survey has expired.")

    def answer(self, score: int, comment: str | None, now: datetime) -> None:
        """Record the one answer this link takes."""
        self.check_open(now)
        low, high = self.scale
        if not isinstance(score, int) or isinstance(score, bool) or not (low <= score <= high):
            raise InvalidValue(f"Choose a score from {low} to {high}.")
        comment = (comment or "").strip() or None
        if comment is not None and len(comment) > 2000:
            raise InvalidValue("The comment is at most 2000 characters.")
        self.status = "answered"
        self.score = score
        self.comment = comment
        self.answered_at = now
        # The hash stays so a second visit can say "already answered"; the status makes the
        # link single-use.
        self._bump()
        # Rendered at commit, so the follow-up decided after this call is included.
        self.record(events.SurveyAnswered(self))

    def expire(self, now: datetime) -> bool:
        """Mark the survey expired once its link has; True when it changed."""
        if self.status == "sent" and self.expires_at is not None and now >= self.expires_at:
            self.status = "expired"
            self._bump()
            return True
        return False

    def erase_personal_data(self) -> None:
        """GDPR erasure: forget the recipient and the comment."""
        self.recipient_email = None
        self.recipient_name = None
        self.comment = None
        self._bump()
