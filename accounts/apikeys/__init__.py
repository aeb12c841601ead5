"""API keys: scoped, hashed, budgeted keys a person or a team admin issues for the public API."""
