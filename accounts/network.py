"""Which network a request comes from, for the per-network cap on free visitor grants.

Only a keyed hash of the network is ever stored, never the address itself.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def _proxy_meta_key() -> str:
    """The configured trusted proxy header as a request.META key, or "" when none."""
    header = getattr(settings, "TRUSTED_PROXY_IP_HEADER", "") or ""
    if not header:
        return ""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") or key == "REMOTE_ADDR" else f"HTTP_{key}"


def get_client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the trusted proxy header when one is configured.

    A client can send any X-Forwarded-For it likes, so the header counts only when settings
    say a proxy in front of us sets it; the proxy appends the address it saw, so the last
    entry is the one it vouches for.
    """
    key = _proxy_meta_key()
    if key:
        entries = [part.strip() for part in request.META.get(key, "").split(",") if part.strip()]
        if entries:
            return entries[-1]
    return request.META.get("REMOTE_ADDR", "") or ""


def network_of(ip: str) -> str:
    """IPv4 addresses count one by one; an IPv6 client owns its whole /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def hash_network(ip: str) -> str:
    """HMAC-SHA256 of the client's network keyed with SECRET_KEY (not reversible offline)."""
    return salted_hmac("accounts.visitor-network", network_of(ip), algorithm="sha256").hexdigest()
