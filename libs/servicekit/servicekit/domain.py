"""The one piece of plumbing domain objects may use: recording the events they cause.

Pure Python, no I/O. An aggregate calls ``self.record(event)``; the unit of work pulls the events
of every aggregate its session touched when it commits and writes them to the outbox.
"""

from __future__ import annotations

import itertools
from typing import Any

_sequence = itertools.count()


class EventRecorder:
    """Mixin for aggregates that raise domain events."""

    def record(self, event: Any) -> None:
        # __dict__ directly: ORM-loaded instances never ran __init__.
        self.__dict__.setdefault("_recorded_events", []).append((next(_sequence), event))

    def pull_events(self) -> list[tuple[int, Any]]:
        return self.__dict__.pop("_recorded_events", [])
