"""``seed-demo``: analytics has no data of its own; it scores what the demo events brought.

The other services' demo data reaches analytics as events. Seeding here (re)computes customer
scores over whatever has arrived, so the demo shows segments and CLV without waiting for the
hourly job; running it again only republishes scores that changed.
"""

from __future__ import annotations

from analytics_service.service.rebuild import archived_count
from analytics_service.service.scoring import recompute_scores


def seed(rt) -> None:
    events = archived_count(rt.db)
    result = recompute_scores(rt.db, rt.uow, rt.settings.base_currency)
    print(
        f"analytics: {events} events archived so far; scored {result.scored} customers "
        f"(published {result.published})"
    )
