"""Webhook secrets and the ``X-MMS-Signature`` header (Stripe-like, documented in
docs/webhooks.md).

``X-MMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``; while a rotated
secret's overlap window lasts, a second ``v1=`` made with the previous secret follows. The key is
the secret string's UTF-8 bytes, ``whsec_`` prefix included.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "X-MMS-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
SECRET_PATTERN = re.compile(r"^[\x21-\x7e]{24,200}$")


def generate_secret() -> str:
    """A new secret: ``whsec_`` and 256 random bits, base64url."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hint(secret: str) -> str:
    """What lists show of a secret: its prefix and last four characters."""
    head = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    return f"{head}…{secret[-4:]}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``b"<timestamp>." + body`` keyed with the secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_in_use: Iterable[str], timestamp: int, body: bytes) -> str:
    """The header value: one ``v1`` per secret (current first, then the previous one)."""
    parts = [f"t={timestamp}"]
    parts += [f"v1={sign(secret, timestamp, body)}" for secret in secrets_in_use]
    return ",".join(parts)


def verify(
    header: str,
    body: bytes,
    secrets_to_try: Iterable[str],
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """The receiver's check (the same algorithm as the documented snippet)."""
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    for secret in secrets_to_try:
        expected = sign(secret, timestamp, body)
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return True
    return False
