"""HTTP: the /api/v1/analytics blueprint, its parameters, and JSON/CSV/SVG/PNG rendering."""
