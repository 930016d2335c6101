"""Mint internal identities in tests, standing in for the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from servicekit.identity import IDENTITY_HEADER, IdentitySigner, generate_keypair

ALL_ROLES = ("admin", "sales_manager", "sales_rep", "marketer", "support_agent", "analyst")


@dataclass
class IdentityMinter:
    private_pem: str
    public_pem: str
    signer: IdentitySigner = field(init=False)

    def __post_init__(self):
        self.signer = IdentitySigner(self.private_pem, ttl_seconds=3600)

    @classmethod
    def generate(cls) -> IdentityMinter:
        private_pem, public_pem = generate_keypair()
        return cls(private_pem, public_pem)

    def token(
        self,
        *,
        roles=("admin",),
        scopes=("*",),
        team=None,
        user_id=None,
        kind="user",
        name=None,
        email=None,
    ) -> str:
        user_id = user_id or str(uuid.uuid4())
        prefix = "key" if kind == "api_key" else kind
        token, _ = self.signer.mint(
            f"{prefix}:{user_id}",
            kind,
            roles=roles,
            scopes=scopes,
            team=team,
            name=name or f"Test {user_id[:6]}",
            email=email,
        )
        return token

    def headers(self, **kwargs) -> dict[str, str]:
        return {IDENTITY_HEADER: self.token(**kwargs)}
