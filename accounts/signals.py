"""Signals other apps subscribe to."""

from django.dispatch import Signal

# Sent after the transaction commits, with `visitor=<AnonymousVisitor>, user=<User>`, when a
# visitor's tokens were carried over to a user at sign-up or sign-in. Apps that own visitor
# data (tickets) move it to the user in a receiver.
visitor_merged = Signal()

# Sent after the transaction commits, with `user=<User>, token_account_id=<int or None>`, when a
# user deleted their account. Apps that bill the account (billing: its plan) stop doing so.
user_account_closed = Signal()
