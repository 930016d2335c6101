"""Unguessable, tamper-proof tokens for the public links in messages.

A token is ``base64url(purpose | message id | [link id] | HMAC-SHA256(secret, ...)[:16])``:
nothing is stored for it, it cannot be forged without the service's secret, and it names exactly
one message (and, for click links, one link of that message). Purposes keep an open-pixel token
from working as an unsubscribe or survey token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from functools import lru_cache

PURPOSES = {"open": b"o", "click": b"c", "unsubscribe": b"u", "survey": b"s"}
MAC_BYTES = 16
LINK_BYTES = 8
MAX_TOKEN_CHARS = 80


class TokenSigner:
    def __init__(self, secret: bytes | str) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        if len(secret) < 16:
            raise ValueError("the tracking secret must be at least 16 bytes")
        key = hashlib.sha256(b"mms-campaign-tracking\0" + secret).digest()
        # Keyed once; each token copies the prepared state (a send signs several per message).
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)

    def _mac(self, body: bytes) -> bytes:
        mac = self._hmac.copy()
        mac.update(body)
        return mac.digest()[:MAC_BYTES]

    def sign(self, purpose: str, message_id: str, link_id: str | None = None) -> str:
        body = PURPOSES[purpose] + _uuid_bytes(message_id)
        if purpose == "click":
            body += bytes.fromhex(link_id or "")[:LINK_BYTES].ljust(LINK_BYTES, b"\0")
        raw = body + self._mac(body)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def verify(self, purpose: str, token: str) -> tuple[str, str | None] | None:
        """``(message_id, link_id)`` when the token is genuine and for ``purpose``, else None."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        expected_len = 1 + 16 + (LINK_BYTES if purpose == "click" else 0) + MAC_BYTES
        if len(raw) != expected_len or raw[:1] != PURPOSES[purpose]:
            return None
        body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        message_id = str(uuid.UUID(bytes=body[1:17]))
        link_id = body[17:].hex() if purpose == "click" else None
        return message_id, link_id


@lru_cache(maxsize=4096)
def _uuid_bytes(message_id: str) -> bytes:
    # A message signs several tokens (pixel, links, unsubscribe, survey): parse its id once.
    return uuid.UUID(message_id).bytes
