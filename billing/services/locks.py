"""The lock that serialises everything about one payment."""

from django.db import connection


def lock_payment(payment_intent_id: str) -> None:
    """Serialise everything about one payment (its checkout or invoice, and its refunds).

    A refund that arrives while the payment is being credited would otherwise miss the
    purchase, and the credit miss the refund, each in its own uncommitted transaction.
    Taken before the account lock on every path, so the lock order is the same everywhere.
    SQLite (local run) has one writer at a time and needs nothing.
    """
    if payment_intent_id and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [payment_intent_id])
