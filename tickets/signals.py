"""Signals other apps subscribe to (growth: a referee qualifies by generating tickets)."""

from django.dispatch import Signal

# Sent after the transaction commits, with `ticket=<Ticket>`, when a generation succeeded and
# its tokens were charged. Once per ticket.
ticket_succeeded = Signal()

# Sent after the transaction commits, with `ticket=<Ticket>`, when an active ticket failed and
# its hold was released (nothing charged). Once per ticket.
ticket_failed = Signal()
