"""Test helpers: private RabbitMQ and PostgreSQL servers, databases per test, identities, waiting.

Registered as a pytest plugin by the repository's pytest configuration
(``-p servicekit.testing.plugin``).
"""

from servicekit.testing.waiting import wait_for

__all__ = ["wait_for"]
