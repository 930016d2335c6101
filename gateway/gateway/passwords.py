"""Password hashing with argon2id, rehashed on login when the parameters change.

Hashing costs tens of milliseconds of CPU on purpose, so callers run it in the gateway's thread
pool, never on the event loop. Unknown accounts are checked against a dummy hash so that a login
for an account that does not exist takes as long as one for an account that does.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash("not-a-real-password-for-timing-only")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown account (None) costs the same time."""
        try:
            return self.hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if email and password.strip().lower() == email.strip().lower():
        return "The password must not be the email address."
    if len(set(password)) < 4:
        return "The password is too repetitive."
    return None
