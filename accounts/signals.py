"""Signals other apps subscribe to."""

from django.dispatch import Signal

# Sent after the transaction commits, with `visitor=<AnonymousVisitor>, user=<User>`, when a
# visitor's tokens were carried over to a user at sign-up or sign-in. Apps that own visitor
# data (tickets) move it to the user in a receiver.
visitor_merged = Signal()
