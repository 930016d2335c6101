"""Events out (domain event -> contract) and in (contract -> command)."""
