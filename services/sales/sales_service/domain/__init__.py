"""Plain Python: entities, value objects, rules, state transitions, domain events."""
