"""User access tokens (JWT, algorithm pinned) and opaque refresh tokens (stored hashed).

Access tokens name the user (``sub``) and the session (``sid``: the refresh-token family); they
carry no roles, so a role change or a revoked session takes effect when the gateway revalidates
the principal (every few seconds), not only when the token expires.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization

from gateway.settings import GatewaySettings
from servicekit.errors import Unauthenticated

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "sid"]
REFRESH_PREFIX = "mmsr_"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    issued_at: float
    expires_at: float


class AccessTokens:
    """Issue and verify access tokens with one pinned algorithm (HS256 or EdDSA)."""

    def __init__(self, settings: GatewaySettings, *, clock=time.time) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.ttl = settings.access_token_ttl
        self.clock = clock
        if self.algorithm == "HS256":
            self._signing_key = self._verify_key = settings.jwt_secret
        else:
            self._signing_key = serialization.load_pem_private_key(
                settings.jwt_private_key.encode(), password=None
            )
            self._verify_key = (
                serialization.load_pem_public_key(settings.jwt_public_key.encode())
                if settings.jwt_public_key
                else self._signing_key.public_key()
            )

    def issue(self, user_id: str, session_id: str) -> tuple[str, int]:
        """Return ``(token, expires_in_seconds)``."""
        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "sid": session_id,
            "iat": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._signing_key, algorithm=self.algorithm), self.ttl

    def verify(self, token: str) -> AccessClaims:
        """Decode and check a token; 401 with the reason otherwise (never another algorithm)."""
        try:
            claims = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=5,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(
                "The access token has expired; refresh it.", code="token_expired"
            ) from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(
                f"The access token is not valid: {exc}", code="invalid_token"
            ) from None
        if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
            raise Unauthenticated("The access token is not valid.", code="invalid_token")
        return AccessClaims(
            claims["sub"], claims["sid"], float(claims["iat"]), float(claims["exp"])
        )


def new_refresh_token() -> tuple[str, str]:
    """A new opaque refresh token and its hash (only the hash is stored)."""
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """SHA-256 hex: tokens carry 256 random bits, so a fast unsalted hash cannot be reversed."""
    return hashlib.sha256(token.encode()).hexdigest()
