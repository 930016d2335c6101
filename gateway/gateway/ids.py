"""Cheap identifiers for the hot path.

Request ids and trace span ids need to be unique, not secret: a 128-bit Mersenne Twister draw
(seeded from the OS per process) is unique enough and costs a fraction of ``uuid.uuid4()``'s
``getrandom`` call plus ``UUID`` object.
"""

from __future__ import annotations

import os
import random

_random = random.Random()
_pid = os.getpid()


def _rng() -> random.Random:
    global _pid
    if os.getpid() != _pid:  # a forked worker must not repeat its parent's sequence
        _pid = os.getpid()
        _random.seed()
    return _random


def request_id() -> str:
    """A random version-4 UUID string."""
    n = (_rng().getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC << 60) | (0x8 << 60)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def child_traceparent(parent: str | None) -> str:
    """A W3C traceparent for a new span, continuing ``parent``'s trace (already validated)."""
    rng = _rng()
    span = f"{rng.getrandbits(64) or 1:016x}"
    trace = parent[3:35] if parent else f"{rng.getrandbits(128) or 1:032x}"
    return f"00-{trace}-{span}-01"
