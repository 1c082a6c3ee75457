"""Application-layer encryption for P3 fields (DOMAIN.md §5).

Fernet (AES-128-CBC with HMAC-SHA256: authenticated encryption) from the ``cryptography``
package, through ``MultiFernet`` so several keys are live at once: the first key encrypts, every
key decrypts. Keys come from ``ALONGSIDE_ENCRYPTION_KEYS``, never from ``SECRET_KEY`` and never
from the database. ``alongside keys rotate`` re-encrypts every row under the newest key.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("No field-encryption keys are configured (ALONGSIDE_ENCRYPTION_KEYS)")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ALONGSIDE_ENCRYPTION_KEYS must be comma-separated Fernet keys (alongside keys generate)"
        ) from exc


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("stored value does not decrypt with any configured key") from exc


def rotate_token(token: str) -> str:
    """Re-encrypt one stored token under the newest key (raises DecryptionError if none fits)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("stored value does not decrypt with any configured key") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


class EncryptedTextField(models.TextField):
    """A text field whose column only ever holds ciphertext.

    ``sensitivity`` marks the privacy class; a test asserts every field marked P3 uses this type.
    No lookups except ``isnull``: ciphertext cannot be searched, by design.
    """

    sensitivity = "P3"

    def __init__(self, *args: Any, sensitivity: str = "P3", **kwargs: Any) -> None:
        self.sensitivity = sensitivity
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.sensitivity != "P3":
            kwargs["sensitivity"] = self.sensitivity
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[EncryptedTextField]]]:
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields
