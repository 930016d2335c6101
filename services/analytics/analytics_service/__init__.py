"""The analytics service: read models built only from events, reports, scores and forecasts.

It owns no business records. Every event it consumes is archived and projected into fact tables
(one row per order, lead, opportunity, message, ticket ...) and rollups derived from them; the
archive can be replayed into fresh projections at any time (``analytics-service rebuild``).
"""
