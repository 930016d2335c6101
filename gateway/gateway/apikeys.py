"""API keys for department tools: ``mms_<prefix>_<secret>``, shown once, stored hashed.

A key is 256 random bits, so a fast hash (SHA-256) of it is as safe to store as a slow password
hash: there is nothing to guess. The short prefix identifies a key in lists and logs without
revealing it.
"""

from __future__ import annotations

import re
import secrets

from gateway.tokens import hash_token

KEY_PATTERN = re.compile(r"^mms_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")


def new_api_key() -> tuple[str, str, str]:
    """Return ``(plaintext, prefix, hash)`` for a new key."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(8))
    plaintext = f"mms_{prefix}_{secrets.token_urlsafe(32)}"
    return plaintext, prefix, hash_token(plaintext)


def looks_like_key(value: str) -> bool:
    return bool(KEY_PATTERN.match(value))
