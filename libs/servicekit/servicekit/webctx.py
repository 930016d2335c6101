"""Access to the running service from inside a Flask request."""

from __future__ import annotations

from flask import current_app, g

from servicekit.errors import Unauthenticated
from servicekit.identity import Identity
from servicekit.runtime import ServiceRuntime


def service() -> ServiceRuntime:
    """The ServiceRuntime of the app serving the current request."""
    return current_app.extensions["mms"]


def current_identity() -> Identity:
    """The verified caller of the current request (401 if there is none)."""
    identity = g.get("mms_identity")
    if identity is None:
        raise Unauthenticated()
    return identity


def require_scope(scope: str) -> Identity:
    """Function-level check: the caller must hold ``scope``; returns the caller."""
    identity = current_identity()
    identity.require_scope(scope)
    return identity
