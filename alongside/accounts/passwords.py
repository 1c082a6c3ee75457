from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """Long passphrases are welcome (ASVS 6.2.9 allows 64+); 512 characters bounds hashing work."""

    def __init__(self, max_length: int = 512) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": self.max_length}, code="password_too_long"
            )

    def get_help_text(self) -> str:
        return _("Up to %(max)d characters; a few unrelated words make a strong passphrase.") % {"max": self.max_length}


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).

    Django's default asks 100 MiB per hash; a few sign-ins at once (including failed ones with
    made-up emails, which axes cannot lock) would push a small server far past its memory budget.
    Hashes made with other parameters still verify and are upgraded at the next sign-in.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
