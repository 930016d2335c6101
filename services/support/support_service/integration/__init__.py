"""Events: domain events to contracts (outgoing); other services' events to commands."""
