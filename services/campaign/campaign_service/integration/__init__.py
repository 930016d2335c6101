"""Events out (domain event -> contract) and in (other services' events -> commands)."""
