"""What the ledger tells the apps that own its accounts (`tokens` imports none of them).

`available_fell_below_threshold` is sent after the commit of the write that took an account's
available tokens (balance - held) from at or above its `low_balance_threshold` to below it:
once per crossing, however many spends race (each runs under the account's row lock, so only
one of them sees the crossing). Receivers get `account_id`, `available` and `threshold`;
they run after the commit, outside any ledger transaction, and must not raise.
"""

from django.dispatch import Signal

available_fell_below_threshold = Signal()
