"""Use cases (one function per command) and the read side."""
