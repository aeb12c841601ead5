"""The team pages: thin — forms check shape, `accounts.teams.services` writes and decides,
`accounts.teams.selectors` reads, templates render."""
