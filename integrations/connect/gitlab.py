"""Connecting gitlab (filled in by the gitlab client's work)."""

urlpatterns = []
