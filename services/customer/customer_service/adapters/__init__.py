"""Persistence (SQLAlchemy Core tables and repositories) and other outside systems."""
