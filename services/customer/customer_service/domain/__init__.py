"""Customers, contacts, consent, segments and their rules — plain Python, no I/O."""
