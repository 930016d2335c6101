"""Contract events in (every consumed type, bound explicitly) and out (customer scores)."""
