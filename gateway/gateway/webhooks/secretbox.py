"""Subscription secrets encrypted at rest (AES-256-GCM), so a database dump does not leak them.

The operator's key (``MMS_WEBHOOK_SECRET_KEY``) is stretched with HKDF-SHA256 into the AES key;
each ciphertext names the key it was made with (``v1.<key id>.<nonce+ciphertext>``) so that
several keys can be configured during a key rotation. The subscription id is the associated
data: a ciphertext copied onto another subscription's row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicekit.config import ConfigError

_INFO = b"mms-webhooks/subscription-secrets/v1"
_PREFIX = "v1"


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretBox:
    """Encrypt and decrypt subscription secrets with the operator's key(s)."""

    def __init__(self, master_keys: Sequence[str]) -> None:
        if not master_keys:
            raise ConfigError(
                "Webhooks need MMS_WEBHOOK_SECRET_KEY_FILE (or MMS_WEBHOOK_SECRET_KEY) to protect "
                "subscription secrets."
            )
        self._keys: dict[str, AESGCM] = {}
        self.primary = ""
        for index, master in enumerate(master_keys):
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
                master.encode()
            )
            key_id = hashlib.sha256(derived).hexdigest()[:8]
            self._keys[key_id] = AESGCM(derived)
            if index == 0:
                self.primary = key_id

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.primary].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_PREFIX}.{self.primary}.{_b64(nonce + sealed)}"

    def decrypt(self, token: str, context: str) -> str:
        try:
            prefix, key_id, payload = token.split(".", 2)
            aead = self._keys[key_id]
            if prefix != _PREFIX:
                raise ValueError(prefix)
            raw = _unb64(payload)
            return aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except KeyError:
            raise SecretUnreadable(
                "the secret was encrypted with a key that is not configured any more"
            ) from None
        except (ValueError, InvalidTag, UnicodeDecodeError):
            raise SecretUnreadable("the stored secret is damaged or belongs elsewhere") from None

    def is_current(self, token: str) -> bool:
        """True when ``token`` was made with the primary key (nothing to re-encrypt)."""
        return token.startswith(f"{_PREFIX}.{self.primary}.")
