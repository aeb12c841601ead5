"""Every write for API keys: issue, revoke, and the throttled note of last use."""

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.apikeys.models import KEY_PREFIX_LENGTH, ApiKey, ApiKeyEvent
from accounts.teams.models import Organization

KEY_START = "myba_live_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def auth_cache_key(prefix: str) -> str:
    return f"apikey:auth:{prefix}"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the whole key, shown once and never stored


def create_api_key(*, actor, name: str, scopes: list[str], organization: Organization | None = None,
                   expires_at: datetime | None = None, daily_budget: int | None = None,
                   monthly_budget: int | None = None, allowed_ips: list[str] | None = None,
                   ip: str | None = None) -> IssuedKey:
    """Issue a key acting for `actor`'s own account, or for `organization`'s pool (the caller
    checked that `actor` may: accounts.teams.roles.can_manage).

    Writes (one transaction): the ApiKey (SHA-256 of the secret only) and its `created`
    event. Returns the key and its secret, which exists nowhere else afterwards.
    """
    secret_part = secrets.token_urlsafe(32)
    for _ in range(5):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(KEY_PREFIX_LENGTH))
        raw = f"{KEY_START}{prefix}_{secret_part}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name, prefix=prefix, secret_hash=hash_key(raw), owner=actor,
                    organization=organization, scopes=sorted(set(scopes)),
                    expires_at=expires_at, daily_budget=daily_budget,
                    monthly_budget=monthly_budget, allowed_ips=allowed_ips or [])
                ApiKeyEvent.objects.create(key=key, actor=actor, action=ApiKeyEvent.Action.CREATED,
                                           details={"ip": ip, "scopes": key.scopes})
        except IntegrityError:
            continue  # the prefix was taken (36^8 space: almost never)
        return IssuedKey(key=key, secret=raw)
    raise RuntimeError("could not find a free key prefix")


def revoke_api_key(*, key: ApiKey, actor, by_staff: bool = False, ip: str | None = None) -> bool:
    """Revoke `key` at once: writes `revoked_at` (conditional: only a live key, so a second
    revoke writes nothing) and a `revoked` event, and on commit drops the cached
    authentication entry, so the next request with the key is refused on every process.
    Returns whether this call revoked it."""
    action = ApiKeyEvent.Action.REVOKED_BY_STAFF if by_staff else ApiKeyEvent.Action.REVOKED
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        if revoked:
            ApiKeyEvent.objects.create(key=key, actor=actor, action=action, details={"ip": ip})
            transaction.on_commit(lambda: cache.delete(auth_cache_key(key.prefix)))
    key.refresh_from_db(fields=["revoked_at"])
    return bool(revoked)


def revoke_user_api_keys(*, user, actor) -> int:
    """Revoke every live personal key of `user` (closing the account). Returns how many."""
    keys = list(ApiKey.objects.filter(owner=user, organization__isnull=True,
                                      revoked_at__isnull=True))
    return sum(revoke_api_key(key=key, actor=actor) for key in keys)


USE_NOTE_SECONDS = 60


def note_key_used(*, key_id: int, ip: str | None) -> None:
    """Record when and from where a key was last used: at most one UPDATE per key a minute
    (a cache `add` decides which request writes), never a write on every request."""
    if not cache.add(f"apikey:used:{key_id}", 1, USE_NOTE_SECONDS):
        return
    ApiKey.objects.filter(pk=key_id).update(last_used_at=timezone.now(), last_used_ip=ip)
