"""HTTP request and response schemas (DTOs, not the domain)."""
