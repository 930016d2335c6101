"""Message templates: subject, preheader, text and HTML parts with variables and defaults."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from campaign_service.domain.campaigns import Content
from campaign_service.domain.errors import InvalidValue, StateConflict
from campaign_service.domain.rendering import check_template, validate_defaults

FIELDS = ("name", "description", "subject", "preheader", "text", "html", "from_name", "defaults")
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"<a\b[^>]*href\s*=\s*([\"'])(.*?)\1[^>]*>(.*?)</a>", re.I | re.S)
_BLOCK = re.compile(r"</(p|div|h[1-6]|li|tr|table)>|<br\s*/?>", re.I)


def utcnow() -> datetime:
    return datetime.now(UTC)


def text_from_html(source: str) -> str:
    """A plain-text part derived from HTML (links kept as 'label (url)')."""
    out = _LINK.sub(lambda m: f"{m.group(3)} ({m.group(2)})", source)
    out = _BLOCK.sub("\n", out)
    out = html_lib.unescape(_TAG.sub("", out))
    lines = [line.strip() for line in out.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


@dataclass
class Template:
    id: str
    name: str
    subject: str
    text: str
    html: str | None = None
    preheader: str | None = None
    from_name: str | None = None
    description: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    status: str = "active"
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None

    @classmethod
    def create(cls, *, created_by: str | None = None, **data: Any) -> Template:
        now = utcnow()
        template = cls(
            id=str(uuid.uuid4()),
            name="",
            subject="",
            text="",
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        template._apply(data, creating=True)
        return template

    def update(self, changes: dict[str, Any]) -> list[str]:
        if self.status == "archived":
            raise StateConflict("an archived template cannot change")
        before = {k: getattr(self, k) for k in FIELDS}
        self._apply(changes, creating=False)
        changed = [k for k in FIELDS if before[k] != getattr(self, k)]
        if changed:
            self.updated_at = utcnow()
        return changed

    def _apply(self, data: dict[str, Any], *, creating: bool) -> None:
        if "name" in data or creating:
            name = (data.get("name") or "").strip()
            if not name:
                raise InvalidValue("name is required")
            self.name = name[:200]
        if "subject" in data or creating:
            subject = (data.get("subject") or "").strip()
            if not subject:
                raise InvalidValue("subject is required")
            self.subject = subject
        for key in ("description", "preheader", "from_name"):
            if key in data:
                setattr(self, key, (data[key] or "").strip() or None)
        if self.from_name and re.search(r"[\r\n<>\"]", self.from_name):
            raise InvalidValue("from_name may not contain line breaks, quotes or angle brackets")
        if "html" in data:
            self.html = data["html"] or None
        if "text" in data:
            self.text = data["text"] or ""
        if not self.text.strip():
            if not self.html:
                raise InvalidValue("give a text part, an HTML part, or both")
            self.text = text_from_html(self.html)
        if "defaults" in data or creating:
            self.defaults = validate_defaults(data.get("defaults") or {})
        check_template(
            {
                "subject": self.subject,
                "preheader": self.preheader,
                "text": self.text,
                "html": self.html,
            },
            self.defaults,
        )

    def content(self) -> Content:
        return Content(
            subject=self.subject,
            text=self.text,
            html=self.html,
            preheader=self.preheader,
            from_name=self.from_name,
            defaults=dict(self.defaults),
            template_version=self.version,
        )

    def archive(self) -> None:
        if self.status == "archived":
            raise StateConflict("already archived")
        self.status = "archived"
        self.updated_at = utcnow()
