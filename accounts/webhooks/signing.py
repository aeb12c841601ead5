"""How deliveries are signed, the way Stripe signs its webhooks, and how to check it.

Every request carries `MyBA-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`, the HMAC keyed
with the endpoint's signing secret (`whsec_…`) over `f"{t}.{raw_body}"`. A receiver checks it
with `verify_signature` (or the same few lines in its own language), on the raw body before
parsing it, and refuses a timestamp older than its tolerance so a captured request cannot be
replayed later. Each attempt is signed anew, with the secret the endpoint has at that moment.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "MyBA-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """The signature is missing, malformed, too old, or does not match."""


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The `MyBA-Signature` header value for `body` sent now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes | str,
                     tolerance: int = DEFAULT_TOLERANCE, *, now: float | None = None) -> int:
    """Check a delivery: `header` is the request's MyBA-Signature value, `body` its raw body
    (bytes as received; a str is encoded as UTF-8). Returns the signed timestamp; raises
    SignatureError when the header is malformed, its timestamp is more than `tolerance`
    seconds from now, or no v1 signature matches (compared in constant time)."""
    if isinstance(body, str):
        body = body.encode()
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("No timestamp or v1 signature in the header.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The timestamp is outside the tolerance (a replayed request?).")
    expected = compute_signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise SignatureError("No signature matches the body for this secret.")
    return timestamp
