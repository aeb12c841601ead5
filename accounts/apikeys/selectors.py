"""Reads for the API keys pages."""

from django.db.models import QuerySet

from accounts.apikeys.models import ApiKey, ApiKeyEvent


def workspace_keys(*, user, organization) -> QuerySet[ApiKey]:
    """The keys of a workspace: a team's (any admin's), or the person's own personal keys."""
    if organization is not None:
        return ApiKey.objects.filter(organization=organization).select_related("owner")
    return ApiKey.objects.filter(owner=user, organization__isnull=True)


def workspace_key_events(*, user, organization, limit: int = 20) -> list[ApiKeyEvent]:
    keys = workspace_keys(user=user, organization=organization)
    return list(ApiKeyEvent.objects.filter(key__in=keys.values("pk"))
                .select_related("key", "actor")[:limit])
