"""Custom attributes: an admin defines them, every customer's values are checked against them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from customer_service.domain.errors import InvalidValue

TYPES = ("text", "number", "boolean", "date", "enum", "multi_enum")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


@dataclass
class AttributeDefinition:
    key: str
    label: str
    type: str
    options: list[str] = field(default_factory=list)
    required: bool = False
    description: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if not KEY.match(self.key):
            raise InvalidValue(
                "key must be lower-case letters, digits and _ (max 50), starting with a letter"
            )
        if self.type not in TYPES:
            raise InvalidValue(f"type must be one of {', '.join(TYPES)}")
        if self.type in ("enum", "multi_enum"):
            if not self.options or len(set(self.options)) != len(self.options):
                raise InvalidValue("enum attributes need a list of distinct options")
        elif self.options:
            raise InvalidValue("only enum attributes have options")

    def coerce(self, value: Any) -> Any:
        """The stored form of ``value`` (JSON-friendly), or InvalidValue naming the attribute."""
        where = f"attributes.{self.key}"
        if value is None:
            return None
        if self.type == "text":
            if not isinstance(value, str) or len(value) > 1000:
                raise InvalidValue(f"{where} must be text up to 1000 characters")
            return value
        if self.type == "number":
            if isinstance(value, bool):
                raise InvalidValue(f"{where} must be a number")
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise InvalidValue(f"{where} must be a number") from None
            if not number.is_finite():
                raise InvalidValue(f"{where} must be a finite number")
            return format(number, "f")
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise InvalidValue(f"{where} must be true or false")
            return value
        if self.type == "date":
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise InvalidValue(f"{where} must be a date (YYYY-MM-DD)") from None
        if self.type == "enum":
            if value not in self.options:
                raise InvalidValue(f"{where} must be one of {', '.join(self.options)}")
            return value
        if not isinstance(value, list) or any(v not in self.options for v in value):
            raise InvalidValue(f"{where} must be a list drawn from {', '.join(self.options)}")
        return sorted(set(value), key=self.options.index)


def validate_attributes(
    values: dict[str, Any], definitions: dict[str, AttributeDefinition], *, creating: bool
) -> dict[str, Any]:
    unknown = sorted(set(values) - set(definitions))
    if unknown:
        raise InvalidValue(
            f"undefined custom attributes: {', '.join(unknown)}; an admin "
            "defines them under /api/v1/customer-attributes"
        )
    out = {}
    for key, value in values.items():
        coerced = definitions[key].coerce(value)
        if coerced is not None:
            out[key] = coerced
    if creating:
        missing = [d.key for d in definitions.values() if d.required and d.key not in out]
        if missing:
            raise InvalidValue(f"required custom attributes missing: {', '.join(missing)}")
    return out
