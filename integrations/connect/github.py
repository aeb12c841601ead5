"""Connecting github (filled in by the github client's work)."""

urlpatterns = []
