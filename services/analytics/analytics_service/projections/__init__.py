"""Projections: events folded into fact tables and rollups (see framework.py)."""
