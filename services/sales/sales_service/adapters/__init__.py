"""Tables and repositories (SQLAlchemy Core, mapped by hand)."""
