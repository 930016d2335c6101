"""HTTP: flask-smorest blueprints and marshmallow schemas."""
