"""The gateway's own HTTP operations: auth, me, users, teams, API keys, roles, customer 360."""
