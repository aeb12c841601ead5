"""Small secrets at rest (webhook signing secrets; OAuth tokens next), encrypted with Fernet.

Keys come from `MYBA_ENCRYPTION_KEYS` (settings.ENCRYPTION_KEYS): comma-separated Fernet keys,
the first encrypts, every one decrypts. Rotating: put a new key first (keep the old one after
it), run `manage.py rotate_encryption` to re-encrypt every stored value under the new key, then
drop the old key. With no keys configured (only allowed with DEBUG on or in tests; settings
refuse to start otherwise) one key is derived from SECRET_KEY, so `make run` needs no setup.

`EncryptedTextField` stores a value encrypted and reads it back in plain text; the rotation
command finds every such field by its class.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def derived_key(secret_key: str) -> str:
    """The development key: SECRET_KEY stretched into a Fernet key (a different purpose
    string than Django's own uses, so it never equals a key Django derives)."""
    digest = hashlib.sha256(b"myba.config.encryption|" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    # Keyed by the settings' values, so a test's override (or a reload) takes effect.
    keys = tuple(settings.ENCRYPTION_KEYS) or (derived_key(settings.SECRET_KEY),)
    return _fernet(keys)


def encrypt(plaintext: str) -> str:
    """`plaintext` encrypted under the first key (a Fernet token: authenticated, timestamped,
    a fresh IV every time, so equal secrets encrypt differently)."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of `token`, under whichever configured key encrypted it. Raises
    ImproperlyConfigured when none did (a key was dropped before `rotate_encryption` ran)."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in MYBA_ENCRYPTION_KEYS: put back "
            "the key it was encrypted with, or set the secret again."
        ) from None


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; the model attribute is the plain text. Not
    searchable (every encryption differs); empty stays empty."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
