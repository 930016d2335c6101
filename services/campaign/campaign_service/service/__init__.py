"""Use cases (one function per command), the send job and the read side (queries)."""
