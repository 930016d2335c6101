"""HTTP: flask-smorest blueprints and marshmallow schemas (DTOs, not the domain)."""
