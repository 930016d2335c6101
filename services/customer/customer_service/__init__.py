"""The customer service: one shared picture of every customer (DESIGN.md §2)."""
