"""The API gateway of the Marketing Management Suite: the only door to the services."""
