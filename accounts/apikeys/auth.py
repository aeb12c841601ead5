"""Checking a presented API key: a SHA-256 and a cached lookup by prefix, no slow hasher.

The cache entry (per prefix, a minute) holds what the check needs; revoking drops it on
commit (`revoke_api_key`), so a revoked key is refused at once on every process. Expiry, IP
allow-lists and scopes are checked on every request against the entry.
"""

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from accounts.apikeys.models import KEY_PREFIX_LENGTH, ApiKey
from accounts.apikeys.services import KEY_START, auth_cache_key, hash_key, note_key_used
from accounts.services import get_or_open_user_account

ENTRY_SECONDS = 60


class KeyRefused(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class KeyAuth:
    """The key a request presented and what it acts for."""

    key_id: int
    name: str
    owner_id: int
    organization_id: int | None
    account_id: int
    scopes: frozenset[str]

    @property
    def spender(self) -> str:
        return f"apikey:{self.key_id}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise KeyRefused("insufficient_scope",
                             f"This API key does not have the {scope} scope.", 403)


def _parse(raw: str) -> str | None:
    if not raw.startswith(KEY_START):
        return None
    prefix, sep, secret = raw[len(KEY_START):].partition("_")
    if len(prefix) != KEY_PREFIX_LENGTH or not sep or not secret:
        return None
    return prefix


def _load_entry(prefix: str) -> dict | None:
    key = (ApiKey.objects.select_related("owner", "organization")
           .filter(prefix=prefix).first())
    if key is None:
        return None
    if key.organization is not None:
        account_id = key.organization.token_account_id
    else:
        account_id = get_or_open_user_account(user=key.owner).pk
    return {
        "id": key.pk, "name": key.name, "hash": key.secret_hash, "owner_id": key.owner_id,
        "owner_active": key.owner.is_active, "organization_id": key.organization_id,
        "account_id": account_id, "scopes": list(key.scopes),
        "expires_at": key.expires_at.timestamp() if key.expires_at else None,
        "revoked": key.revoked_at is not None, "allowed_ips": list(key.allowed_ips),
    }


def _ip_allowed(ip: str | None, allowed: list[str]) -> bool:
    if not allowed:
        return True
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(network, strict=False) for network in allowed)


def authenticate_api_key(raw: str, *, ip: str | None, now: datetime | None = None) -> KeyAuth:
    """The key `raw` names, if it may be used now from `ip`; else KeyRefused (401 for an
    unknown, wrong, revoked or expired key; 403 for an address outside its allow-list).
    Notes its use (throttled: `note_key_used`)."""
    prefix = _parse(raw.strip())
    if prefix is None:
        raise KeyRefused("invalid_api_key", "The API key is missing or malformed. Send "
                         "'Authorization: Bearer myba_live_…'.")
    entry = cache.get(auth_cache_key(prefix))
    if entry is None:
        entry = _load_entry(prefix)
        if entry is not None:
            cache.set(auth_cache_key(prefix), entry, ENTRY_SECONDS)
    if entry is None or not hmac.compare_digest(entry["hash"], hash_key(raw.strip())):
        raise KeyRefused("invalid_api_key", "This API key is not valid.")
    if entry["revoked"] or not entry["owner_active"]:
        raise KeyRefused("api_key_revoked", "This API key has been revoked.")
    now = now or timezone.now()
    if entry["expires_at"] is not None and now.timestamp() >= entry["expires_at"]:
        raise KeyRefused("api_key_expired", "This API key has expired.")
    if not _ip_allowed(ip, entry["allowed_ips"]):
        raise KeyRefused("ip_not_allowed",
                         f"This API key may not be used from {ip or 'an unknown address'}.", 403)
    note_key_used(key_id=entry["id"], ip=ip)
    return KeyAuth(key_id=entry["id"], name=entry["name"], owner_id=entry["owner_id"],
                   organization_id=entry["organization_id"], account_id=entry["account_id"],
                   scopes=frozenset(entry["scopes"]))
