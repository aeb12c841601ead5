"""Signals of integrations: sent after the transaction that recorded the event commits."""

from django.dispatch import Signal

# A push finished: done (the issue exists: push.remote_key, push.remote_url) or failed
# (push.error says why). Keyword: push.
push_finished = Signal()
