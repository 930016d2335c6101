"""Outbound webhooks: domain events pushed to department tools, signed, retried and replayable.

- ``dispatch``: the gateway worker's consumer of ``gateway.webhooks`` (bound with ``#`` to
  ``mms.events``) archives every event and fans it out into one delivery row per matching active
  subscription, in the consumer's transaction.
- ``engine``: the delivery loop (a thread of the worker) claims due deliveries, sends them with
  ``sender`` (pooled aiohttp client that connects only to addresses ``addresses`` allows) and
  records every attempt, retrying on the schedule of ``retry``.
- ``api``: ``/api/v1/webhooks`` (subscriptions, delivery log, redelivery, replay, ping).

Receivers' guide: docs/webhooks.md.
"""
