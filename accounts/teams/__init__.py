"""Teams: organizations that own a token pool, their members, roles, invitations, limits and
audit log. Models live in `accounts.teams.models` (imported by `accounts.models`)."""
