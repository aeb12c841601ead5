"""Every write to the token ledger. Each service is atomic and locks the account row first.

Import from here (`from tokens.services import reserve_tokens`); the submodules are an
implementation detail.
"""

from tokens.services.accounts import (
    adjust_tokens,
    clawback_lot,
    close_account,
    grant_tokens,
    open_account,
    set_low_balance_threshold,
    transfer_tokens,
)
from tokens.services.audit import record_ledger_audit, run_ledger_audit
from tokens.services.lots import carry_over_lot, end_lot
from tokens.services.spending import (
    capture_hold,
    lock_hold_account,
    release_hold,
    reserve_tokens,
    spend_tokens,
)
from tokens.services.sweepers import expire_lots, release_expired_holds

__all__ = [
    "adjust_tokens",
    "capture_hold",
    "carry_over_lot",
    "clawback_lot",
    "close_account",
    "end_lot",
    "expire_lots",
    "grant_tokens",
    "lock_hold_account",
    "open_account",
    "release_expired_holds",
    "release_hold",
    "reserve_tokens",
    "set_low_balance_threshold",
    "record_ledger_audit",
    "run_ledger_audit",
    "spend_tokens",
    "transfer_tokens",
]
