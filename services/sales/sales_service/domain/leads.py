"""Leads: who might buy, where they came from, who works them, and how they end.

new → working → qualified → converted (an opportunity)
  └──────┴──────────┴──→ disqualified (with a reason) → reopened to working
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue, StateConflict

STATUSES = ("new", "working", "qualified", "converted", "disqualified")
OPEN_STATUSES = ("new", "working", "qualified")
SOURCES = (
    "web_form",
    "referral",
    "trade_fair",
    "campaign",
    "cold_call",
    "partner",
    "import",
    "social",
    "other",
)
EDITABLE = ("source", "campaign_id", "region", "company", "score", "utm", "notes")


@dataclass(frozen=True)
class Contact:
    """Contact details captured with a lead (a web form) before a customer exists."""

    name: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    job_title: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contact:
        values = {k: clean(data.get(k)) for k in cls.__dataclass_fields__}
        if not values["name"]:
            values["name"] = " ".join(
                p for p in (values["first_name"], values["last_name"]) if p
            ) or (values["email"] or values["phone"] or values["company"])
        if not values["name"]:
            raise InvalidValue("contact needs a name, an email or a phone")
        if not (values["email"] or values["phone"]):
            raise InvalidValue("contact needs an email or a phone so the customer can be found")
        if values["country"]:
            country = values["country"].upper()
            if len(country) != 2 or not country.isalpha():
                raise InvalidValue("contact.country must be an ISO 3166 alpha-2 code")
            values["country"] = country
        return cls(**values)

    def as_dict(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(eq=False)
class Lead(Aggregate):
    id: str
    source: str
    status: str = "new"
    contact: Contact | None = None
    customer_id: str | None = None
    campaign_id: str | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    region: str | None = None
    country: str | None = None
    company: str | None = None
    score: int | None = None
    utm: dict[str, Any] | None = None
    notes: str | None = None
    disqualify_reason: str | None = None
    opportunity_id: str | None = None
    matched_on: str | None = None
    customer_created: bool | None = None
    assignment_rule_id: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    assigned_at: datetime | None = None
    linked_at: datetime | None = None
    qualified_at: datetime | None = None
    converted_at: datetime | None = None
    disqualified_at: datetime | None = None
    version: int = 1

    @classmethod
    def create(
        cls,
        *,
        source: str,
        contact: Contact | None = None,
        customer_id: str | None = None,
        customer_region: str | None = None,
        customer_country: str | None = None,
        created_by: str | None = None,
        now: datetime | None = None,
        **data: Any,
    ) -> Lead:
        if contact is None and customer_id is None:
            raise InvalidValue("a lead needs inline contact details or a customer_id")
        now = now or utcnow()
        lead = cls(
            id=new_id(),
            source=_source(source),
            contact=contact,
            customer_id=customer_id,
            created_by=uuid_or_none(created_by),
            created_at=now,
            updated_at=now,
        )
        lead._edit(data)
        lead.region = lead.region or (contact.region if contact else None) or customer_region
        lead.country = (contact.country if contact else None) or customer_country
        lead.company = lead.company or (contact.company if contact else None)
        if customer_id:
            lead.linked_at = now
        return lead

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def announce(self) -> None:
        """Record lead.created once ownership is settled (the contract carries the owner)."""
        self.emit(
            "lead.created",
            captured=self.contact is not None and self.customer_id is None,
            assigned_by_rule_id=self.assignment_rule_id,
        )

    def _edit(self, data: dict[str, Any]) -> list[str]:
        data = dict(data)
        for key in ("region", "company", "notes"):
            if key in data:
                data[key] = clean(data[key])
        if "source" in data:
            data["source"] = _source(data["source"])
        if "score" in data and data["score"] is not None:
            if not 0 <= int(data["score"]) <= 100:
                raise InvalidValue("score must be between 0 and 100")
            data["score"] = int(data["score"])
        if data.get("utm") is not None:
            data["utm"] = {k: clean(data["utm"].get(k)) for k in UTM_KEYS}
        return self.apply_changes(data, EDITABLE)

    def update(self, changes: dict[str, Any], now: datetime | None = None) -> list[str]:
        if self.status == "converted":
            raise StateConflict("a converted lead cannot be changed; work on its opportunity")
        changed = self._edit(changes)
        if changed:
            self._touch(now)
            self.emit("lead.updated", changed_fields=changed)
        return changed

    def _touch(self, now: datetime | None) -> datetime:
        self.updated_at = now or utcnow()
        return self.updated_at

    def assign(
        self,
        owner_id: str | None,
        owner_team: str | None,
        *,
        rule_id: str | None = None,
        by: str | None = None,
        now: datetime | None = None,
        announce: bool = True,
    ) -> bool:
        if (owner_id, owner_team) == (self.owner_id, self.owner_team):
            return False
        previous = (self.owner_id, self.owner_team)
        self.owner_id, self.owner_team = uuid_or_none(owner_id), owner_team
        self.assignment_rule_id = rule_id
        self.assigned_at = self._touch(now)
        if announce:
            self.emit(
                "lead.assigned",
                previous_owner_id=previous[0],
                previous_owner_team=previous[1],
                rule_id=rule_id,
                assigned_at=self.assigned_at,
                assigned_by=uuid_or_none(by),
            )
        return True

    def start_work(self, now: datetime | None = None) -> None:
        self.require_status("new", action="start working on")
        self.status = "working"
        self._touch(now)
        self.emit("lead.updated", changed_fields=["status"])

    def qualify(self, now: datetime | None = None) -> None:
        self.require_status("new", "working", action="qualify")
        previous, self.status = self.status, "qualified"
        self.qualified_at = self._touch(now)
        self.emit("lead.qualified", qualified_at=self.qualified_at, previous_status=previous)

    def disqualify(self, reason: str, now: datetime | None = None) -> None:
        self.require_status(*OPEN_STATUSES, action="disqualify")
        reason = clean(reason)
        if not reason:
            raise InvalidValue("say why the lead is disqualified")
        previous, self.status = self.status, "disqualified"
        self.disqualify_reason = reason
        self.disqualified_at = self._touch(now)
        self.emit(
            "lead.disqualified",
            reason=reason,
            disqualified_at=self.disqualified_at,
            previous_status=previous,
        )

    def reopen(self, now: datetime | None = None) -> None:
        self.require_status("disqualified", action="reopen")
        self.status, self.disqualify_reason, self.disqualified_at = "working", None, None
        self._touch(now)
        self.emit("lead.updated", changed_fields=["status", "disqualify_reason"])

    def convert(self, opportunity_id: str, now: datetime | None = None) -> None:
        self.require_status(*OPEN_STATUSES, action="convert")
        if not self.customer_id:
            raise StateConflict(
                "the lead is not linked to a customer yet (the customer service is still "
                "matching it); retry shortly or link it with customer_id"
            )
        previous, self.status = self.status, "converted"
        self.opportunity_id = opportunity_id
        self.converted_at = self._touch(now)
        self.emit(
            "lead.converted",
            opportunity_id=opportunity_id,
            converted_at=self.converted_at,
            previous_status=previous,
        )

    def link(
        self,
        customer_id: str,
        *,
        created: bool | None = None,
        matched_on: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        if self.customer_id == customer_id:
            return False
        self.customer_id = customer_id
        self.customer_created, self.matched_on = created, matched_on
        self.linked_at = self._touch(now)
        self.emit(
            "lead.linked",
            customer_created=created,
            matched_on=matched_on,
            linked_at=self.linked_at,
        )
        return True

    def forget_contact(self) -> None:
        """GDPR erasure of the linked customer: personal details go, ids and facts stay."""
        if self.contact is not None:
            self.contact = Contact(
                name="Erased contact", country=self.contact.country, region=self.contact.region
            )
        self.notes = None


UTM_KEYS = ("source", "medium", "campaign", "term", "content")


def _source(value: str) -> str:
    source = clean(value)
    if not source:
        raise InvalidValue("a lead needs a source")
    source = source.lower().replace(" ", "_").replace("-", "_")
    if len(source) > 40:
        raise InvalidValue("source is at most 40 characters")
    return source


@dataclass(frozen=True)
class Rep:
    user_id: str
    team: str | None = None


@dataclass(frozen=True)
class RegionRoute:
    region: str
    user_id: str
    team: str | None = None


STRATEGIES = ("round_robin", "region")
RULE_FIELDS = ("name", "strategy", "priority", "active", "team", "sources", "reps", "region_map")


@dataclass(eq=False)
class AssignmentRule(Aggregate):
    """Who gets new leads: round robin over reps, or by region.

    Rules are tried by ascending ``priority``; the first one that matches a lead assigns it.
    A round-robin rule matches the lead's source (if ``sources`` is set); a region rule matches
    when its map names the lead's region or country.
    """

    id: str
    name: str
    strategy: str
    priority: int = 100
    active: bool = True
    team: str | None = None
    sources: list[str] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    region_map: list[RegionRoute] = field(default_factory=list)
    cursor: int = 0
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def create(cls, **data) -> AssignmentRule:
        rule = cls(id=new_id(), name="", strategy="round_robin")
        rule._apply(data)
        rule.emit("assignment_rule.created")
        return rule

    def _apply(self, data: dict) -> list[str]:
        data = dict(data)
        if "name" in data:
            data["name"] = clean(data["name"])
            if not data["name"]:
                raise InvalidValue("a rule needs a name")
        if "team" in data:
            data["team"] = clean(data["team"])
        if "sources" in data:
            data["sources"] = sorted({_source(s) for s in data["sources"] or []})
        if "reps" in data:
            data["reps"] = [r if isinstance(r, Rep) else Rep(**r) for r in data["reps"] or []]
            ids = [r.user_id for r in data["reps"]]
            if len(set(ids)) != len(ids):
                raise InvalidValue("a rep is listed twice")
        if "region_map" in data:
            routes = [
                r if isinstance(r, RegionRoute) else RegionRoute(**r)
                for r in data["region_map"] or []
            ]
            keys = [r.region.casefold() for r in routes]
            if len(set(keys)) != len(keys):
                raise InvalidValue("a region is mapped twice")
            data["region_map"] = routes
        if "strategy" in data and data["strategy"] not in STRATEGIES:
            raise InvalidValue(f"strategy must be one of {', '.join(STRATEGIES)}")
        changed = self.apply_changes(data, RULE_FIELDS)
        if self.strategy == "round_robin" and not self.reps:
            raise InvalidValue("a round-robin rule needs at least one rep")
        if self.strategy == "region" and not self.region_map:
            raise InvalidValue("a region rule needs a region_map")
        return changed

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        changed = self._apply(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("assignment_rule.updated", changed_fields=changed)
        return changed

    def delete(self, now: datetime | None = None) -> None:
        self.emit("assignment_rule.deleted", deleted_at=now or utcnow(), revision=self.version + 1)

    def matches(self, lead: Lead) -> bool:
        if not self.active:
            return False
        if self.sources and lead.source not in self.sources:
            return False
        if self.strategy == "region":
            return self.route(lead) is not None
        return bool(self.reps)

    def route(self, lead: Lead) -> RegionRoute | None:
        """The region map's entry for the lead's region, else its country."""
        by_key = {r.region.casefold(): r for r in self.region_map}
        for value in (lead.region, lead.country):
            if value and value.casefold() in by_key:
                return by_key[value.casefold()]
        return None

    def pick(self, turn: int) -> Rep:
        """The rep whose turn ``turn`` is (round robin)."""
        return self.reps[turn % len(self.reps)]
