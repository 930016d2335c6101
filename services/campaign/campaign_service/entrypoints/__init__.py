"""How the service starts: the api (wsgi), the worker and the operator CLI."""
