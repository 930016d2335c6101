"""Tables, repositories and the event-fed replicas."""
