"""The customer aggregate: a person or a company, its contact points, consent and behaviour."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pycountry

from customer_service.domain import events
from customer_service.domain.contact_points import (
    EmailAddress,
    Phone,
    company_key,
    name_key,
    normalise_emails,
    normalise_phones,
)
from customer_service.domain.errors import InvalidValue, StateConflict
from servicekit.domain import EventRecorder

KINDS = ("person", "company")
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketing_qualified",
    "sales_qualified",
    "opportunity",
    "customer",
    "evangelist",
    "churned",
    "other",
)
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+")
CHANNELS = ("email", "sms", "phone")
CONSENT_STATUSES = ("granted", "withdrawn")
DEMOGRAPHIC_CHOICES = {
    "gender": ("female", "male", "diverse", "undisclosed"),
    "income_band": ("low", "lower_middle", "middle", "upper_middle", "high"),
    "education": ("primary", "secondary", "vocational", "bachelor", "master", "doctorate"),
    "marital_status": ("single", "partnered", "married", "divorced", "widowed"),
}
PROFILE_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "company_id",
    "job_title",
    "emails",
    "phones",
    "address",
    "industry",
    "size",
    "source",
    "lifecycle_stage",
    "demographics",
    "psychographics",
    "attributes",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Address:
    country: str | None = None
    region: str | None = None
    city: str | None = None
    postal_code: str | None = None
    street: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in ("country", "region", "city", "postal_code", "street")}


@dataclass(frozen=True)
class Consent:
    channel: str
    status: str
    source: str
    at: datetime

    @property
    def granted(self) -> bool:
        return self.status == "granted"


@dataclass
class Behaviour:
    """What the customer did, kept current from sales events (in the base currency)."""

    orders_count: int = 0
    total_spent: Decimal = Decimal("0")
    currency: str | None = None
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None


@dataclass(eq=False)
class Customer(EventRecorder):
    id: str
    kind: str
    name: str
    first_name: str | None = None
    last_name: str | None = None
    company_id: str | None = None
    job_title: str | None = None
    emails: list[EmailAddress] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    address: Address = field(default_factory=Address)
    industry: str | None = None
    size: str | None = None
    source: str | None = None
    lifecycle_stage: str | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    demographics: dict[str, Any] = field(default_factory=dict)
    psychographics: dict[str, Any] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=Behaviour)
    scores: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    merged_into: str | None = None
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        name: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        emails: list[dict] | None = None,
        phones: list[dict] | None = None,
        address: dict | None = None,
        owner_id: str | None = None,
        owner_team: str | None = None,
        tags: list[str] | None = None,
        created_by: str | None = None,
        customer_id: str | None = None,
        now: datetime | None = None,
        **profile: Any,
    ) -> Customer:
        if kind not in KINDS:
            raise InvalidValue(f"kind must be one of {', '.join(KINDS)}")
        now = now or utcnow()
        customer = cls(
            id=customer_id or str(uuid.uuid4()),
            kind=kind,
            name="",
            owner_id=owner_id,
            owner_team=owner_team,
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        customer._apply_profile(
            {
                "name": name,
                "first_name": first_name,
                "last_name": last_name,
                "emails": emails or [],
                "phones": phones or [],
                "address": address or {},
                **profile,
            }
        )
        customer.tags = normalise_tags(tags or [])
        customer.record(events.CustomerCreated(customer))
        return customer

    # -- profile ----------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def primary_email(self) -> str | None:
        return next((e.address for e in self.emails if e.primary), None)

    @property
    def primary_phone(self) -> str | None:
        return next((p.number for p in self.phones if p.primary), None)

    @property
    def name_key(self) -> str:
        return company_key(self.name) if self.kind == "company" else name_key(self.name)

    def ensure_active(self) -> None:
        if self.status == "merged":
            raise StateConflict(f"customer {self.id} was merged into {self.merged_into}")
        if self.status == "erased":
            raise StateConflict(f"customer {self.id} was erased")

    def update(self, changes: dict[str, Any], *, now: datetime | None = None) -> list[str]:
        """Apply profile changes; record CustomerUpdated naming what really changed."""
        self.ensure_active()
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise InvalidValue(f"cannot change {', '.join(sorted(unknown))} here")
        before = self._snapshot()
        self._apply_profile(changes, partial=True)
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        if changed:
            self._touch(changed, now)
        return changed

    def _apply_profile(self, data: dict[str, Any], *, partial: bool = False) -> None:
        if "first_name" in data:
            self.first_name = _clean(data["first_name"])
        if "last_name" in data:
            self.last_name = _clean(data["last_name"])
        if "name" in data or not partial:
            name = _clean(data.get("name"))
            if not name and self.kind == "person":
                name = " ".join(p for p in (self.first_name, self.last_name) if p)
            if not name:
                raise InvalidValue("a customer needs a name (or first and last name)")
            self.name = name
        if "address" in data:
            address = data["address"] or {}
            country = address.get("country")
            if country is not None and (
                len(country) != 2 or pycountry.countries.get(alpha_2=country.upper()) is None
            ):
                raise InvalidValue(f"address.country {country!r} is not an ISO 3166 alpha-2 code")
            self.address = Address(
                country=country.upper() if country else None,
                region=_clean(address.get("region")),
                city=_clean(address.get("city")),
                postal_code=_clean(address.get("postal_code")),
                street=_clean(address.get("street")),
            )
        if "emails" in data:
            self.emails = normalise_emails(data["emails"] or [])
        if "phones" in data:
            self.phones = normalise_phones(data["phones"] or [], self.address.country)
        if "company_id" in data:
            if data["company_id"] and self.kind != "person":
                raise InvalidValue("only a person can belong to a company")
            if data["company_id"] == self.id:
                raise InvalidValue("a customer cannot belong to itself")
            self.company_id = data["company_id"]
        for key in ("job_title", "industry", "source"):
            if key in data:
                setattr(self, key, _clean(data[key]))
        if "size" in data:
            if data["size"] is not None and data["size"] not in COMPANY_SIZES:
                raise InvalidValue(f"size must be one of {', '.join(COMPANY_SIZES)}")
            self.size = data["size"]
        if "lifecycle_stage" in data:
            stage = data["lifecycle_stage"]
            if stage is not None and stage not in LIFECYCLE_STAGES:
                raise InvalidValue(f"lifecycle_stage must be one of {', '.join(LIFECYCLE_STAGES)}")
            self.lifecycle_stage = stage
        if "demographics" in data:
            self.demographics = validate_demographics(data["demographics"] or {})
        if "psychographics" in data:
            self.psychographics = validate_psychographics(data["psychographics"] or {})
        if "attributes" in data:
            # Checked against the admin's definitions by the use case before it gets here.
            self.attributes = dict(data["attributes"] or {})

    def _snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company_id": self.company_id,
            "job_title": self.job_title,
            "emails": list(self.emails),
            "phones": list(self.phones),
            "address": self.address,
            "industry": self.industry,
            "size": self.size,
            "source": self.source,
            "lifecycle_stage": self.lifecycle_stage,
            "demographics": dict(self.demographics),
            "psychographics": dict(self.psychographics),
            "attributes": dict(self.attributes),
            "owner_id": self.owner_id,
            "owner_team": self.owner_team,
            "tags": list(self.tags),
        }

    def _touch(self, changed: list[str], now: datetime | None = None) -> None:
        self.updated_at = now or utcnow()
        self.record(events.CustomerUpdated(self, tuple(changed)))

    def assign(self, owner_id: str | None, owner_team: str | None) -> bool:
        self.ensure_active()
        if (owner_id, owner_team) == (self.owner_id, self.owner_team):
            return False
        changed = [
            f
            for f, new, old in (
                ("owner_id", owner_id, self.owner_id),
                ("owner_team", owner_team, self.owner_team),
            )
            if new != old
        ]
        self.owner_id, self.owner_team = owner_id, owner_team
        self._touch(changed)
        return True

    def retag(self, add: list[str], remove: list[str]) -> bool:
        self.ensure_active()
        tags = [t for t in self.tags if t not in set(normalise_tags(remove))]
        for tag in normalise_tags(add):
            if tag not in tags:
                tags.append(tag)
        if tags == self.tags:
            return False
        self.tags = tags
        self._touch(["tags"])
        return True

    # -- consent ----------------------------------------------------------------------------

    def set_consent(self, channel: str, status: str, source: str, at: datetime | None = None):
        """Record consent for a channel; returns the new Consent or None when unchanged."""
        if channel not in CHANNELS:
            raise InvalidValue(f"channel must be one of {', '.join(CHANNELS)}")
        if status not in CONSENT_STATUSES:
            raise InvalidValue(f"status must be one of {', '.join(CONSENT_STATUSES)}")
        if self.status == "erased" and status == "granted":
            raise StateConflict("an erased customer cannot grant consent")
        at = at or utcnow()
        current = self.consents.get(channel)
        if current is not None and current.status == status:
            return None
        if current is not None and current.at > at:
            return None  # an older decision arriving late never overrides a newer one
        consent = Consent(channel, status, source, at)
        self.consents[channel] = consent
        self.updated_at = utcnow()
        self.record(events.ConsentChanged(self.id, channel, status, source, at, self.version + 1))
        return consent

    # -- behaviour and scores ---------------------------------------------------------------

    def apply_behaviour(self, behaviour: Behaviour) -> bool:
        if behaviour == self.behaviour:
            return False
        self.behaviour = behaviour
        self.updated_at = utcnow()
        return True

    def apply_scores(self, scores: dict[str, Any]) -> bool:
        if scores == self.scores:
            return False
        self.scores = scores
        self.updated_at = utcnow()
        return True

    # -- merge and erasure ------------------------------------------------------------------

    def absorb(self, duplicates: list[Customer], *, now: datetime | None = None) -> list[str]:
        """Merge ``duplicates`` into this survivor by the survivorship rules.

        - the survivor's non-empty fields win; empty ones are filled from the most recently
          updated duplicate that has a value;
        - emails, phones and tags are united (the survivor's primary stays primary);
        - custom attributes and demographics are united, the survivor winning conflicts;
        - consent: per channel the most restrictive answer wins (withdrawn beats granted);
        - behaviour is summed (counts, spend) and spans (first and last order).
        """
        self.ensure_active()
        now = now or utcnow()
        for dup in duplicates:
            if dup.id == self.id:
                raise InvalidValue("a customer cannot be merged into itself")
            dup.ensure_active()
            if dup.kind != self.kind:
                raise InvalidValue(f"cannot merge a {dup.kind} into a {self.kind}")
        before = self._snapshot()
        newest_first = sorted(duplicates, key=lambda d: d.updated_at, reverse=True)
        for name in (
            "first_name",
            "last_name",
            "company_id",
            "job_title",
            "industry",
            "size",
            "source",
            "lifecycle_stage",
            "owner_id",
            "owner_team",
        ):
            if getattr(self, name) in (None, ""):
                for dup in newest_first:
                    if getattr(dup, name) not in (None, ""):
                        setattr(self, name, getattr(dup, name))
                        break
        address = self.address.as_dict()
        for key, value in address.items():
            if value is None:
                for dup in newest_first:
                    if dup.address.as_dict()[key] is not None:
                        address[key] = dup.address.as_dict()[key]
                        break
        self.address = Address(**address)
        self.emails = _unite(self.emails, [e for d in newest_first for e in d.emails], "address")
        self.phones = _unite(self.phones, [p for d in newest_first for p in d.phones], "number")
        for dup in newest_first:
            for tag in dup.tags:
                if tag not in self.tags:
                    self.tags.append(tag)
            self.attributes = {**dup.attributes, **self.attributes}
            self.demographics = {**dup.demographics, **self.demographics}
            self.psychographics = {**dup.psychographics, **self.psychographics}
        for channel in CHANNELS:
            answers = [
                c
                for c in [self.consents.get(channel)]
                + [d.consents.get(channel) for d in duplicates]
                if c
            ]
            if answers:
                restrictive = [c for c in answers if not c.granted]
                chosen = max(restrictive or answers, key=lambda c: c.at)
                if self.consents.get(channel) != chosen:
                    self.consents[channel] = replace(chosen, source=f"merge:{chosen.source}")
        merged_behaviour = _sum_behaviour([self.behaviour, *(d.behaviour for d in duplicates)])
        self.behaviour = merged_behaviour
        for dup in duplicates:
            dup.status = "merged"
            dup.merged_into = self.id
            dup.updated_at = now
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        self.updated_at = now
        self.record(
            events.CustomerMerged(self.id, tuple(d.id for d in duplicates), now, self.version + 1)
        )
        self.record(events.CustomerUpdated(self, tuple(changed) or ("merged",)))
        return changed

    def erase(self, *, now: datetime | None = None) -> None:
        """GDPR erasure: pseudonymise every personal datum, keep what aggregates need."""
        if self.status == "erased":
            raise StateConflict(f"customer {self.id} is already erased")
        now = now or utcnow()
        self.name = f"Erased customer {self.id[:8]}"
        self.first_name = self.last_name = self.job_title = None
        self.emails, self.phones = [], []
        # Country and region stay: revenue by region must still add up after an erasure.
        self.address = Address(country=self.address.country, region=self.address.region)
        self.attributes, self.demographics, self.psychographics = {}, {}, {}
        self.tags = []
        for channel in CHANNELS:
            self.consents[channel] = Consent(channel, "withdrawn", "erasure", now)
        self.status = "erased"
        self.updated_at = now
        self.record(events.CustomerErased(self.id, now, self.version + 1))

    # -- segmentation -----------------------------------------------------------------------

    def facts(self, today: date | None = None) -> dict[str, Any]:
        """The attributes segment rules can test (see domain.segments.FIELDS)."""
        today = today or utcnow().date()
        birth = self.demographics.get("birth_date")
        age = None
        if birth:
            born = date.fromisoformat(birth)
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        email = self.primary_email
        facts = {
            "kind": self.kind,
            "name": self.name,
            "country": self.address.country,
            "region": self.address.region,
            "city": self.address.city,
            "industry": self.industry,
            "size": self.size,
            "source": self.source,
            "lifecycle_stage": self.lifecycle_stage,
            "owner_id": self.owner_id,
            "owner_team": self.owner_team,
            "tags": list(self.tags),
            "company_id": self.company_id,
            "job_title": self.job_title,
            "email_domain": email.split("@", 1)[1] if email else None,
            "has_email": bool(self.emails),
            "has_phone": bool(self.phones),
            "created_at": self.created_at,
            "demographics.age": age,
            "orders_count": self.behaviour.orders_count,
            "total_spent": self.behaviour.total_spent,
            "first_order_at": self.behaviour.first_order_at,
            "last_order_at": self.behaviour.last_order_at,
        }
        for key in (
            "gender",
            "income_band",
            "education",
            "occupation",
            "marital_status",
            "household_size",
            "language",
        ):
            facts[f"demographics.{key}"] = self.demographics.get(key)
        for key in ("lifestyle", "personality", "interests", "values"):
            facts[f"psychographics.{key}"] = self.psychographics.get(key)
        for channel in CHANNELS:
            consent = self.consents.get(channel)
            facts[f"consent.{channel}"] = bool(consent and consent.granted)
        for key, value in self.scores.items():
            facts[f"scores.{key}"] = value
        for key, value in self.attributes.items():
            facts[f"attributes.{key}"] = value
        return facts


def normalise_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        clean = " ".join(str(tag).strip().lower().split())
        if not clean:
            continue
        if len(clean) > 50:
            raise InvalidValue(f"tag {clean[:20]!r}… is longer than 50 characters")
        if clean not in out:
            out.append(clean)
    if len(out) > 100:
        raise InvalidValue("a customer can carry at most 100 tags")
    return out


def validate_demographics(data: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        "birth_date",
        "gender",
        "income_band",
        "education",
        "occupation",
        "marital_status",
        "household_size",
        "language",
    }
    unknown = set(data) - allowed
    if unknown:
        raise InvalidValue(f"unknown demographic attributes: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in DEMOGRAPHIC_CHOICES and value not in DEMOGRAPHIC_CHOICES[key]:
            raise InvalidValue(
                f"demographics.{key} must be one of {', '.join(DEMOGRAPHIC_CHOICES[key])}"
            )
        if key == "birth_date":
            try:
                born = date.fromisoformat(str(value))
            except ValueError:
                raise InvalidValue("demographics.birth_date must be YYYY-MM-DD") from None
            if born > utcnow().date() or born.year < 1900:
                raise InvalidValue("demographics.birth_date is not plausible")
            value = born.isoformat()
        if key == "household_size" and (not isinstance(value, int) or not 1 <= value <= 30):
            raise InvalidValue("demographics.household_size must be 1-30")
        out[key] = value
    return out


def validate_psychographics(data: dict[str, Any]) -> dict[str, Any]:
    allowed = {"lifestyle", "personality", "interests", "values"}
    unknown = set(data) - allowed
    if unknown:
        raise InvalidValue(f"unknown psychographic attributes: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in ("interests", "values"):
            out[key] = normalise_tags(list(value))
        else:
            out[key] = str(value).strip()
    return out


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _unite(mine: list, theirs: list, key: str) -> list:
    seen = {getattr(item, key) for item in mine}
    out = list(mine)
    for item in theirs:
        if getattr(item, key) not in seen:
            seen.add(getattr(item, key))
            out.append(replace(item, primary=False) if out else item)
    if out and not any(i.primary for i in out):
        out[0] = replace(out[0], primary=True)
    return out


def _sum_behaviour(items: list[Behaviour]) -> Behaviour:
    firsts = [b.first_order_at for b in items if b.first_order_at]
    lasts = [b.last_order_at for b in items if b.last_order_at]
    return Behaviour(
        orders_count=sum(b.orders_count for b in items),
        total_spent=sum((b.total_spent for b in items), Decimal("0")),
        currency=next((b.currency for b in items if b.currency), None),
        first_order_at=min(firsts) if firsts else None,
        last_order_at=max(lasts) if lasts else None,
    )
