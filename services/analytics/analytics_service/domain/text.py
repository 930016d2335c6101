"""Text from events is unbounded; the analytics columns are not."""

from __future__ import annotations


def clip(value: str | None, length: int) -> str | None:
    """``value`` cut to ``length`` characters; empty strings become None."""
    if value is None:
        return None
    value = str(value).strip()
    return value[:length] or None
