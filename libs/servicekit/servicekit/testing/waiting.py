"""Wait for an asynchronous effect with a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    pass


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float = 20.0,
    interval: float = 0.02,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy and return that; fail at the deadline.

    Exceptions from the predicate count as "not yet" until the deadline, then are re-raised so the
    failure shows the real cause.
    """
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    delay = interval
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as exc:  # the thing we wait for may not exist yet
            last_exc = exc
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            if last_exc is not None:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {text}") from last_exc
            raise WaitTimeout(f"timed out after {timeout}s waiting for {text}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
