"""Shared infrastructure for the suite's services.

Nothing in this package knows about customers, orders or campaigns: it provides the app factory,
configuration, database and unit of work, the outbox relay and the event consumer, identity
verification, HTTP helpers, health, metrics, logging, the operator CLI and test helpers.
"""
