"""HTTP: flask-smorest blueprints, schemas and the public survey page."""
