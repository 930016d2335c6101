"""Who and what the current unit of work runs for: request, correlation and causation ids.

The values live in context variables so that the same code path (a use case, the unit of work
writing outbox rows, a log line) sees them whether it runs in an HTTP request or in a consumer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import structlog

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class Trace:
    """Identifiers that travel with a request into the events it causes and back out."""

    request_id: str
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None


_current: ContextVar[Trace | None] = ContextVar("mms_trace", default=None)


def new_id() -> str:
    """A new opaque identifier (UUID4 string)."""
    return str(uuid.uuid4())


def safe_id(value: str | None) -> str | None:
    """Return ``value`` when it is a plausible id from a client, else ``None``."""
    if value and _SAFE_ID.match(value):
        return value
    return None


def valid_traceparent(value: str | None) -> str | None:
    if value and _TRACEPARENT.match(value.strip().lower()):
        return value.strip().lower()
    return None


def child_traceparent(parent: str | None) -> str:
    """A W3C traceparent for a new span, continuing ``parent``'s trace when there is one."""
    span = uuid.uuid4().hex[:16]
    match = _TRACEPARENT.match(parent or "")
    trace_id = match.group(1) if match else uuid.uuid4().hex
    return f"00-{trace_id}-{span}-01"


def current_trace() -> Trace:
    """The trace of the running request or message; a fresh one outside of both."""
    trace = _current.get()
    if trace is None:
        rid = new_id()
        trace = Trace(request_id=rid, correlation_id=rid)
    return trace


@contextmanager
def bind_trace(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` current (and visible in log lines) for the duration of the block."""
    token = _current.set(trace)
    structlog.contextvars.bind_contextvars(
        request_id=trace.request_id, correlation_id=trace.correlation_id
    )
    try:
        yield trace
    finally:
        _current.reset(token)
        structlog.contextvars.unbind_contextvars("request_id", "correlation_id")


def set_trace(trace: Trace) -> None:
    """Bind ``trace`` for the rest of the current context (used by Flask's before_request)."""
    _current.set(trace)
    structlog.contextvars.bind_contextvars(
        request_id=trace.request_id, correlation_id=trace.correlation_id
    )


def clear_trace() -> None:
    _current.set(None)
    structlog.contextvars.clear_contextvars()


def caused_by(event_id: str) -> Trace:
    """The current trace with ``event_id`` as the cause of what happens next."""
    return replace(current_trace(), causation_id=event_id)
