"""Use cases: one function per command; each runs in one unit of work and commits it."""
