"""CSV import rows: column mapping, and what to do when a row matches an existing customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from customer_service.domain.errors import InvalidValue

POLICIES = ("skip", "update", "create")
MAX_ERRORS_KEPT = 1000
KNOWN_COLUMNS = {
    "kind",
    "name",
    "first_name",
    "last_name",
    "job_title",
    "company_id",
    "email",
    "emails",
    "phone",
    "phones",
    "country",
    "region",
    "city",
    "postal_code",
    "street",
    "industry",
    "size",
    "source",
    "lifecycle_stage",
    "tags",
    "owner_id",
    "owner_team",
}
LIST_SEPARATOR = ";"


@dataclass
class ImportJob:
    id: str
    filename: str | None
    policy: str
    status: str = "queued"  # queued | running | completed | failed | cancelled
    total_rows: int = 0
    rows_done: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)
    created_by: str | None = None
    owner_team: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    version: int = 1

    def fail_row(self, line: int, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "error": message})


def check_header(header: list[str]) -> list[str]:
    """The normalised header; unknown columns are an error naming them."""
    columns = [h.strip().lower() for h in header]
    unknown = [
        c for c in columns if c and c not in KNOWN_COLUMNS and not c.startswith("attributes.")
    ]
    if unknown:
        raise InvalidValue(f"unknown CSV columns: {', '.join(unknown)}")
    if "name" not in columns and not {"first_name", "last_name"} & set(columns):
        raise InvalidValue("the CSV needs a name column (or first_name/last_name)")
    if len(set(columns)) != len(columns):
        raise InvalidValue("the CSV repeats a column")
    return columns


def row_to_profile(columns: list[str], values: list[str]) -> dict[str, Any]:
    """One CSV row as the keyword arguments of Customer.create (strings trimmed, empties
    dropped)."""
    if len(values) != len(columns):
        raise InvalidValue(f"expected {len(columns)} fields, found {len(values)}")
    raw = {c: v.strip() for c, v in zip(columns, values, strict=True) if c and v.strip()}
    profile: dict[str, Any] = {"kind": raw.pop("kind", "person").lower()}
    emails = [
        e
        for key in ("email", "emails")
        for e in raw.pop(key, "").split(LIST_SEPARATOR)
        if e.strip()
    ]
    phones = [
        p
        for key in ("phone", "phones")
        for p in raw.pop(key, "").split(LIST_SEPARATOR)
        if p.strip()
    ]
    profile["emails"] = [{"address": e.strip()} for e in emails]
    profile["phones"] = [{"number": p.strip()} for p in phones]
    profile["address"] = {
        k: raw.pop(k) for k in ("country", "region", "city", "postal_code", "street") if k in raw
    }
    if "tags" in raw:
        profile["tags"] = [t for t in raw.pop("tags").split(LIST_SEPARATOR) if t.strip()]
    attributes = {k.split(".", 1)[1]: raw.pop(k) for k in list(raw) if k.startswith("attributes.")}
    if attributes:
        profile["attributes"] = attributes
    profile.update(raw)
    return profile
