"""Custom attribute definitions, managed by admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from customer_service.domain.attributes import AttributeDefinition
from customer_service.domain.errors import InvalidValue, NotFound, StateConflict
from servicekit.etag import check_version


def define_attribute(uow, data: dict[str, Any]) -> AttributeDefinition:
    if uow.attributes.get(data["key"]) is not None:
        raise StateConflict(f"attribute {data['key']} is already defined")
    item = AttributeDefinition(**data)
    uow.attributes.add(item)
    uow.commit()
    return item


def change_attribute(uow, key: str, expected_version: int, changes: dict[str, Any]):
    item = uow.attributes.get(key)
    if item is None:
        raise NotFound(f"no attribute {key}")
    check_version(item.version, expected_version)
    if "options" in changes and item.type in ("enum", "multi_enum"):
        removed = set(item.options) - set(changes["options"])
        if removed:
            raise InvalidValue(
                f"options cannot be removed while values may use them: {', '.join(sorted(removed))}"
            )
    for name, value in changes.items():
        setattr(item, name, value)
    item.__post_init__()
    item.updated_at = datetime.now(UTC)
    uow.attributes.save(item)
    uow.commit()
    return item


def remove_attribute(uow, key: str) -> None:
    if uow.attributes.get(key) is None:
        raise NotFound(f"no attribute {key}")
    if uow.attributes.in_use(key):
        raise StateConflict(
            f"attribute {key} still holds values on some customers; clear them first"
        )
    uow.attributes.delete(key)
    uow.commit()
