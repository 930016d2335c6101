"""HTTP: the /api/v1 blueprints and the public token links (/r/, /unsubscribe/, /f/)."""
