"""Alerts about a user's tokens — low balance, tokens running out, tokens about to expire —
each a `BalanceAlert` (a banner in the app until dismissed) and one email unless the user
turned that kind off (`EmailOptOut`; every email carries a link that turns it off without
signing in). Emails go out through Celery after the commit, never inside a ledger
transaction. Visitors get none: the badge and the generator warn them."""
