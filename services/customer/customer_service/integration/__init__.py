"""Contract events out (domain event -> envelope data) and in (event -> command)."""
