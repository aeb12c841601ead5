"""The usage area (`/account/usage/`): where a user's tokens came from and went, charts, the
forecast, the low-balance alert level and the exports. Reads come from
`tokens.selectors.usage` (one place computes them; the staff user page uses the same), and
ledger references are put into words by the describers each app registers
(`tokens.references`), so nothing here imports tickets or billing."""
