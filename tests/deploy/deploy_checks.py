"""Shared knowledge of the deployment tests: the suite's services, their ports, and which MMS_
settings the code actually reads (so a misspelt variable in a deployment file is caught)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "customer": (8101, 8201),
    "sales": (8102, 8202),
    "campaign": (8103, 8203),
    "support": (8104, 8204),
    "analytics": (8105, 8205),
}
GATEWAY = ("gateway", (8080, 8200))
SOURCES = ("libs/servicekit/servicekit", "gateway/gateway", "services", "deploy")


@cache
def source_text() -> str:
    parts = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".sh") and "tests" not in path.parts:
                parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


@cache
def quoted_tokens() -> frozenset[str]:
    """Upper-case names that appear in quotes (``env_str("AMQP_URL")``, ``f"{upper}_PORT"``)."""
    found = set(re.findall(r"[\"'{}]([A-Z][A-Z0-9_]+)[\"'{]", source_text()))
    found |= set(re.findall(r"\}(_[A-Z][A-Z0-9_]+)[\"']", source_text()))
    return frozenset(found)


def is_known_setting(name: str) -> bool:
    """Whether the code reads ``name`` (an ``MMS_`` variable), allowing ``_FILE`` variants and
    per-service names (``MMS_<SERVICE>_DATABASE_URL``)."""
    if not name.startswith("MMS_"):
        return True
    if re.search(rf"\b{re.escape(name)}\b", source_text()):
        return True
    bare = name[len("MMS_") :]
    tokens = quoted_tokens()
    if bare in tokens:
        return True
    if bare.endswith("_FILE") and (bare[: -len("_FILE")] in tokens or f"MMS_{bare}" in tokens):
        return True
    for service in [*SERVICES, GATEWAY[0]]:
        prefix = service.upper() + "_"
        if bare.startswith(prefix) and f"_{bare[len(prefix) :]}" in tokens:
            return True
    return False
