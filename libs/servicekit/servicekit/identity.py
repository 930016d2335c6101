"""The signed internal identity the gateway forwards, and the checks services make with it.

The gateway signs a short-lived JWT (EdDSA / Ed25519) naming the caller — a user or an API key —
with roles, scopes (effective permissions) and team, and sends it in ``X-MMS-Identity``. Services
hold only the public key(s), so a compromised service cannot mint identities. Verified tokens are
cached for their remaining life because the gateway reuses one token per caller for its lifetime.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicekit.errors import Forbidden, Unauthenticated

IDENTITY_HEADER = "X-MMS-Identity"
ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "kind"]

Reach = Literal["all", "team", "own", "none"]
_REACH_ORDER = {"none": 0, "own": 1, "team": 2, "all": 3}


@dataclass(frozen=True)
class Identity:
    """Who is calling: a user, an API key (department tool) or the system itself."""

    subject: str
    kind: Literal["user", "api_key", "system"]
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    team: str | None = None
    name: str | None = None
    email: str | None = None
    expires_at: float = field(default=0.0, compare=False)

    @property
    def id(self) -> str:
        """The user's or key's id (``subject`` without its kind prefix)."""
        return self.subject.split(":", 1)[1] if ":" in self.subject else self.subject

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles or self.kind == "system"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_scope(self, scope: str) -> bool:
        """True when the caller holds ``scope`` (``customers:read``) or ``<resource>:*``/``*``."""
        if self.kind == "system" or "*" in self.scopes or scope in self.scopes:
            return True
        resource = scope.split(":", 1)[0]
        return f"{resource}:*" in self.scopes

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise Forbidden(f"This needs the '{scope}' permission.", code="missing_permission")

    def reach(self, policy: dict[str, Reach]) -> Reach:
        """How far this caller sees owned records under ``policy`` (role -> reach).

        Admins, API keys and the system see everything; a user gets the widest reach of their
        roles, and ``none`` when no role is listed.
        """
        if self.is_admin or self.kind == "api_key":
            return "all"
        best: Reach = "none"
        for role in self.roles:
            candidate = policy.get(role, "none")
            if _REACH_ORDER[candidate] > _REACH_ORDER[best]:
                best = candidate
        return best

    def can_see(self, policy: dict[str, Reach], owner_id: str | None, owner_team: str | None):
        """Object-level check for one record owned by ``owner_id`` in ``owner_team``."""
        reach = self.reach(policy)
        if reach == "all":
            return True
        if reach == "team":
            return owner_id == self.id or (owner_team is not None and owner_team == self.team)
        if reach == "own":
            return owner_id == self.id
        return False


SYSTEM = Identity(subject="system:internal", kind="system", name="system")


class IdentityVerifier:
    """Verifies ``X-MMS-Identity`` tokens with the gateway's public key(s)."""

    def __init__(
        self,
        public_keys_pem: list[str] | tuple[str, ...],
        *,
        issuer: str = "mms-gateway",
        audience: str = "mms-services",
        leeway: float = 5.0,
        cache_size: int = 10_000,
    ) -> None:
        self._keys = [serialization.load_pem_public_key(pem.encode()) for pem in public_keys_pem]
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._cache: OrderedDict[str, Identity] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def verify(self, token: str | None) -> Identity:
        if not token:
            raise Unauthenticated("This service is only reachable through the gateway.")
        now = time.time()
        with self._lock:
            cached = self._cache.get(token)
            if cached is not None:
                if cached.expires_at + self._leeway > now:
                    self._cache.move_to_end(token)
                    return cached
                del self._cache[token]
        identity = self._decode(token)
        with self._lock:
            self._cache[token] = identity
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return identity

    def _decode(self, token: str) -> Identity:
        if not self._keys:
            raise Unauthenticated("No identity key is configured on this service.")
        last_error: Exception | None = None
        for key in self._keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=self._leeway,
                    options={"require": REQUIRED_CLAIMS},
                )
                break
            except jwt.InvalidSignatureError as exc:
                last_error = exc
                continue
            except jwt.PyJWTError as exc:
                raise Unauthenticated(f"Invalid internal identity: {exc}") from None
        else:
            raise Unauthenticated(f"Invalid internal identity: {last_error}") from None
        kind = claims["kind"]
        if kind not in ("user", "api_key", "system"):
            raise Unauthenticated("Invalid internal identity: unknown kind")
        return Identity(
            subject=claims["sub"],
            kind=kind,
            roles=frozenset(claims.get("roles") or ()),
            scopes=frozenset(claims.get("scopes") or ()),
            team=claims.get("team"),
            name=claims.get("name"),
            email=claims.get("email"),
            expires_at=float(claims["exp"]),
        )


class IdentitySigner:
    """Mints internal identity tokens (the gateway; tests before the gateway exists)."""

    def __init__(
        self,
        private_key_pem: str,
        *,
        issuer: str = "mms-gateway",
        audience: str = "mms-services",
        ttl_seconds: int = 120,
    ) -> None:
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds

    def mint(
        self,
        subject: str,
        kind: str,
        *,
        roles=(),
        scopes=(),
        team: str | None = None,
        name: str | None = None,
        email: str | None = None,
        now: float | None = None,
    ) -> tuple[str, float]:
        """Return ``(token, expires_at)``."""
        issued = int(now if now is not None else time.time())
        expires = issued + self.ttl_seconds
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "kind": kind,
            "iat": issued,
            "exp": expires,
            "roles": sorted(roles),
            "scopes": sorted(scopes),
        }
        if team:
            claims["team"] = team
        if name:
            claims["name"] = name
        if email:
            claims["email"] = email
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), float(expires)


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as ``(private_pem, public_pem)``."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem
