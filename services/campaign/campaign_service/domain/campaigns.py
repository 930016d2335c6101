"""The campaign aggregate: plan, audience, A/B variants, budget, and its life cycle.

Status moves only through explicit actions::

    draft ──schedule──▶ scheduled ──launch (or its time comes)──▶ running ◀──resume── paused
      │                    │                                          │ ──pause──▶
      └──────launch────────┼──────────────────────────────────────────┘
                           ▼                                           ▼
                       cancelled ◀────────── cancel (any non-final) ── completed

Plan fields (channel, audience, variants, A/B settings, coupon, survey, UTM key) can change only
before launch; descriptive fields (name, objective, budget, dates, owner) until the campaign ends.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from campaign_service.domain import events
from campaign_service.domain.errors import InvalidValue, StateConflict
from campaign_service.domain.money import Money
from servicekit.domain import EventRecorder

CHANNELS = ("email", "sms", "social", "search", "event", "print", "survey")
SENDING_CHANNELS = ("email", "survey")
OBJECTIVES = (
    "awareness",
    "acquisition",
    "engagement",
    "conversion",
    "retention",
    "reactivation",
    "research",
)
STATUSES = ("draft", "scheduled", "running", "paused", "completed", "cancelled")
FINAL = ("completed", "cancelled")
WINNER_METRICS = ("opens", "clicks", "revenue")
MAX_VARIANTS = 5
MAX_SEGMENTS = 20
META_FIELDS = (
    "name",
    "description",
    "objective",
    "budget",
    "planned_start",
    "planned_end",
    "owner_id",
    "owner_team",
)
PLAN_FIELDS = (
    "channel",
    "segment_ids",
    "exclude_segment_ids",
    "variants",
    "ab_test",
    "coupon_id",
    "survey_id",
    "utm_campaign",
    "respect_frequency_cap",
)
_UTM = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def slugify(text: str) -> str:
    """ASCII slug for UTM keys: 'Spring Tea Launch!' -> 'spring-tea-launch'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60]


@dataclass(frozen=True)
class AbTest:
    winner_metric: str
    test_share_percent: int
    test_duration_hours: int
    auto_select: bool = True

    def __post_init__(self):
        if self.winner_metric not in WINNER_METRICS:
            raise InvalidValue(f"ab_test.winner_metric must be one of {', '.join(WINNER_METRICS)}")
        if not 1 <= self.test_share_percent <= 100:
            raise InvalidValue("ab_test.test_share_percent must be between 1 and 100")
        if not 0 <= self.test_duration_hours <= 24 * 30:
            raise InvalidValue("ab_test.test_duration_hours must be between 0 and 720")

    @property
    def holds_back(self) -> bool:
        """True when part of the audience waits for the winner."""
        return self.test_share_percent < 100

    def as_dict(self) -> dict:
        return {
            "winner_metric": self.winner_metric,
            "test_share_percent": self.test_share_percent,
            "test_duration_hours": self.test_duration_hours,
            "auto_select": self.auto_select,
        }


@dataclass
class Content:
    """A variant's message content, frozen from its template when the campaign launches."""

    subject: str
    text: str
    html: str | None = None
    preheader: str | None = None
    from_name: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    template_version: int | None = None

    def as_dict(self) -> dict:
        return {
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "preheader": self.preheader,
            "from_name": self.from_name,
            "defaults": dict(self.defaults),
            "template_version": self.template_version,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Content | None:
        return cls(**data) if data else None


@dataclass
class Variant:
    id: str
    name: str
    split_percent: int
    template_id: str | None = None
    position: int = 0
    content: Content | None = None

    def as_dict(self) -> dict:
        return {
            "variant_id": self.id,
            "name": self.name,
            "split_percent": self.split_percent,
            "template_id": self.template_id,
        }


def build_variants(items: list[dict], existing: list[Variant] | None = None) -> list[Variant]:
    """Validate variant definitions (1-5, unique names, splits adding up to 100)."""
    if not items:
        raise InvalidValue("a campaign needs at least one variant")
    if len(items) > MAX_VARIANTS:
        raise InvalidValue(f"at most {MAX_VARIANTS} variants")
    known = {v.id: v for v in existing or []}
    names, variants = set(), []
    for position, item in enumerate(items):
        name = (item.get("name") or "").strip()
        if not name:
            raise InvalidValue(f"variants.{position}.name is required")
        if name.lower() in names:
            raise InvalidValue(f"variant name {name!r} is used twice")
        names.add(name.lower())
        split = item.get("split_percent")
        if not isinstance(split, int) or isinstance(split, bool) or not 1 <= split <= 100:
            raise InvalidValue(f"variants.{position}.split_percent must be 1-100")
        variant_id = item.get("variant_id")
        if variant_id and variant_id not in known:
            raise InvalidValue(f"variants.{position}.variant_id {variant_id} is not a variant here")
        variants.append(
            Variant(
                id=variant_id or str(uuid.uuid4()),
                name=name,
                split_percent=split,
                template_id=item.get("template_id"),
                position=position,
            )
        )
    total = sum(v.split_percent for v in variants)
    if total != 100:
        raise InvalidValue(f"variant split_percent values must add up to 100 (they add to {total})")
    return variants


@dataclass(eq=False)
class Campaign(EventRecorder):
    id: str
    name: str
    channel: str
    objective: str
    status: str = "draft"
    description: str | None = None
    budget: Money | None = None
    spend: Decimal = Decimal("0.00")
    base_currency: str = "EUR"
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    scheduled_at: datetime | None = None
    launched_at: datetime | None = None
    paused_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    segment_ids: list[str] = field(default_factory=list)
    exclude_segment_ids: list[str] = field(default_factory=list)
    utm_campaign: str = ""
    coupon_id: str | None = None
    survey_id: str | None = None
    variants: list[Variant] = field(default_factory=list)
    ab_test: AbTest | None = None
    winner_variant_id: str | None = None
    winner_selected_at: datetime | None = None
    respect_frequency_cap: bool = True
    budget_exceeded_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None
    version: int = 0

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def create(cls, *, base_currency: str, created_by: str | None, **data: Any) -> Campaign:
        now = data.pop("now", None) or utcnow()
        campaign = cls(
            id=str(uuid.uuid4()),
            name="",
            channel="email",
            objective="awareness",
            base_currency=base_currency,
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        variants = data.pop("variants", None) or [{"name": "A", "split_percent": 100}]
        if "channel" not in data:
            raise InvalidValue("channel is required")
        campaign._apply(data, variants)
        if not campaign.utm_campaign:
            campaign.utm_campaign = f"{slugify(campaign.name) or 'campaign'}-{campaign.id[:6]}"
        campaign.record(events.CampaignChanged(campaign, "created"))
        return campaign

    # -- plan -------------------------------------------------------------------------------

    @property
    def sends_email(self) -> bool:
        return self.channel in SENDING_CHANNELS

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def has_test_phase(self) -> bool:
        return len(self.variants) > 1 and self.ab_test is not None and self.ab_test.holds_back

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    def update(self, changes: dict[str, Any], *, now: datetime | None = None) -> list[str]:
        """Apply changes allowed in the current status; record CampaignChanged('updated')."""
        if self.is_final:
            raise StateConflict(f"a {self.status} campaign cannot be changed")
        plan = sorted(set(changes) & set(PLAN_FIELDS))
        if plan and self.status not in ("draft", "scheduled"):
            raise StateConflict(
                f"{', '.join(plan)} can only change before launch (the campaign is {self.status})"
            )
        unknown = set(changes) - set(META_FIELDS) - set(PLAN_FIELDS)
        if unknown:
            raise InvalidValue(f"cannot change {', '.join(sorted(unknown))} here")
        before = self._snapshot()
        variants = changes.pop("variants", None)
        self._apply(changes, variants, partial=True)
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        if changed:
            self._touch("updated", now, tuple(changed))
        return changed

    def _apply(self, data: dict, variants: list[dict] | None, *, partial: bool = False) -> None:
        if "name" in data or not partial:
            name = (data.get("name") or "").strip()
            if not name:
                raise InvalidValue("name is required")
            if len(name) > 200:
                raise InvalidValue("name is longer than 200 characters")
            self.name = name
        if "description" in data:
            self.description = (data["description"] or "").strip() or None
        if "channel" in data:
            if data["channel"] not in CHANNELS:
                raise InvalidValue(f"channel must be one of {', '.join(CHANNELS)}")
            self.channel = data["channel"]
        if "objective" in data or not partial:
            objective = data.get("objective") or (
                "research" if self.channel == "survey" else "awareness"
            )
            if objective not in OBJECTIVES:
                raise InvalidValue(f"objective must be one of {', '.join(OBJECTIVES)}")
            self.objective = objective
        if "budget" in data:
            budget = (
                Money.of(data["budget"]) if isinstance(data["budget"], dict) else data["budget"]
            )
            if budget is not None:
                if budget.currency != self.base_currency:
                    raise InvalidValue(
                        f"budget must be in the base currency {self.base_currency} "
                        f"(costs in other currencies are converted)"
                    )
                if budget.amount < 0:
                    raise InvalidValue("budget cannot be negative")
            self.budget = budget
        for key in ("planned_start", "planned_end"):
            if key in data:
                setattr(self, key, data[key])
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise InvalidValue("planned_end must be after planned_start")
        for key in ("owner_id", "owner_team"):
            if key in data:
                setattr(self, key, data[key] or None)
        for key in ("segment_ids", "exclude_segment_ids"):
            if key in data:
                ids = list(dict.fromkeys(str(i) for i in data[key] or []))
                if len(ids) > MAX_SEGMENTS:
                    raise InvalidValue(f"{key} may name at most {MAX_SEGMENTS} segments")
                setattr(self, key, ids)
        if set(self.segment_ids) & set(self.exclude_segment_ids):
            raise InvalidValue("a segment cannot be both targeted and excluded")
        if "utm_campaign" in data and data["utm_campaign"] is not None:
            utm = data["utm_campaign"].strip().lower()
            if not _UTM.match(utm):
                raise InvalidValue(
                    "utm_campaign may use a-z, 0-9, '.', '_' and '-' (1-100 characters)"
                )
            self.utm_campaign = utm
        if "coupon_id" in data:
            self.coupon_id = data["coupon_id"]
        if "survey_id" in data:
            self.survey_id = data["survey_id"]
        if "respect_frequency_cap" in data:
            self.respect_frequency_cap = bool(data["respect_frequency_cap"])
        if variants is not None:
            self.variants = build_variants(variants, self.variants)
        if "ab_test" in data:
            self.ab_test = AbTest(**data["ab_test"]) if data["ab_test"] else None
        if self.ab_test is not None and len(self.variants) < 2:
            raise InvalidValue("an A/B test needs at least two variants")
        if self.channel == "survey" and not self.survey_id and not partial:
            raise InvalidValue("a survey campaign needs a survey_id")
        if self.channel != "survey" and self.survey_id:
            raise InvalidValue("only survey campaigns carry a survey_id")

    def _snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "channel": self.channel,
            "objective": self.objective,
            "budget": self.budget,
            "planned_start": self.planned_start,
            "planned_end": self.planned_end,
            "owner_id": self.owner_id,
            "owner_team": self.owner_team,
            "segment_ids": list(self.segment_ids),
            "exclude_segment_ids": list(self.exclude_segment_ids),
            "utm_campaign": self.utm_campaign,
            "coupon_id": self.coupon_id,
            "survey_id": self.survey_id,
            "respect_frequency_cap": self.respect_frequency_cap,
            "variants": [v.as_dict() for v in self.variants],
            "ab_test": self.ab_test,
        }

    def _touch(self, verb: str, now: datetime | None, changed: tuple[str, ...] = ()) -> None:
        self.updated_at = now or utcnow()
        self.record(events.CampaignChanged(self, verb, changed))

    # -- readiness --------------------------------------------------------------------------

    def readiness_problems(self) -> list[str]:
        """What keeps a sending campaign from going out (empty when it can)."""
        problems = []
        if not self.sends_email:
            return problems
        if not self.segment_ids:
            problems.append("choose at least one target segment")
        for variant in self.variants:
            if not variant.template_id:
                problems.append(f"variant {variant.name} has no template")
        if self.channel == "survey" and not self.survey_id:
            problems.append("choose the survey to send")
        return problems

    def _ensure_ready(self) -> None:
        problems = self.readiness_problems()
        if problems:
            raise StateConflict("the campaign is not ready: " + "; ".join(problems))

    # -- life cycle -------------------------------------------------------------------------

    def _require(self, action: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise StateConflict(
                f"cannot {action} a {self.status} campaign (only {' or '.join(allowed)})"
            )

    def schedule(self, at: datetime, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("schedule", "draft", "scheduled")
        if at < now:
            raise InvalidValue("send_at is in the past; launch now instead")
        self._ensure_ready()
        self.status = "scheduled"
        self.scheduled_at = at
        self._touch("scheduled", now)

    def launch(self, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("launch", "draft", "scheduled")
        self._ensure_ready()
        self.status = "running"
        self.launched_at = now
        if self.scheduled_at is None or self.scheduled_at > now:
            self.scheduled_at = now
        self._touch("launched", now)

    def freeze_content(self, contents: dict[str, Content]) -> None:
        """Copy each variant's template content; later template edits do not change the send."""
        for variant in self.variants:
            variant.content = contents[variant.id]

    def pause(self, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("pause", "running")
        self.status = "paused"
        self.paused_at = now
        self._touch("paused", now)

    def resume(self, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("resume", "paused")
        self.status = "running"
        self.paused_at = None
        self._touch("resumed", now)

    def complete(self, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("complete", "running", "paused")
        self.status = "completed"
        self.completed_at = now
        self.paused_at = None
        self._touch("completed", now)

    def cancel(self, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        self._require("cancel", "draft", "scheduled", "running", "paused")
        self.status = "cancelled"
        self.cancelled_at = now
        self._touch("cancelled", now)

    # -- A/B --------------------------------------------------------------------------------

    def select_winner(
        self,
        variant_id: str,
        *,
        metric: str,
        method: str,
        scores: list[dict],
        now: datetime | None = None,
    ) -> None:
        now = now or utcnow()
        if len(self.variants) < 2:
            raise StateConflict("only a campaign with several variants has a winner")
        if self.status not in ("running", "paused"):
            raise StateConflict(f"a winner is chosen while the campaign runs (it is {self.status})")
        if self.winner_variant_id is not None:
            raise StateConflict("the winner was already chosen")
        if self.variant(variant_id) is None:
            raise InvalidValue(f"variant {variant_id} is not part of this campaign")
        self.winner_variant_id = variant_id
        self.winner_selected_at = now
        self.updated_at = now
        self.record(
            events.WinnerSelected(self, variant_id, metric, method, tuple(scores), selected_at=now)
        )

    # -- spend ------------------------------------------------------------------------------

    def apply_spend(self, total: Decimal, cost_id: str | None, *, now: datetime | None = None):
        """Set total spend; record BudgetExceeded once when it crosses the budget.

        Falling back under the budget (a cost removed, the budget raised) re-arms the signal.
        """
        now = now or utcnow()
        self.spend = total
        over = self.budget is not None and total > self.budget.amount
        if over and self.budget_exceeded_at is None:
            self.budget_exceeded_at = now
            self.record(
                events.BudgetExceeded(
                    self.id,
                    self.budget,
                    Money(total, self.base_currency),
                    cost_id,
                    exceeded_at=now,
                )
            )
        elif not over:
            self.budget_exceeded_at = None

    def spend_money(self) -> Money:
        return Money(self.spend, self.base_currency)

    def budget_burn(self) -> Decimal | None:
        """Spend as a share of the budget (1 = fully spent); None without a budget."""
        if self.budget is None or self.budget.amount == 0:
            return None
        return (self.spend / self.budget.amount).quantize(Decimal("0.0001"))
