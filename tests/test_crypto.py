"""P3 encryption: the raw column never holds plaintext; keys rotate and every row re-encrypts."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from alongside.accounts.models import TOTPDevice
from alongside.core import crypto
from alongside.core.crypto import EncryptedTextField

pytestmark = pytest.mark.django_db


def raw_key(device: TOTPDevice) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpdevice WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def test_raw_column_holds_only_ciphertext(harbor: Any) -> None:
    device = TOTPDevice.objects.create(user=harbor.user("peer"), name="phone", confirmed=True)
    stored = raw_key(device)
    assert device.key not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert TOTPDevice.objects.get(pk=device.pk).key == device.key


def test_ciphertext_is_authenticated(harbor: Any) -> None:
    device = TOTPDevice.objects.create(user=harbor.user("peer"), name="phone", confirmed=True)
    stored = raw_key(device)
    tampered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_totpdevice SET key = %s WHERE id = %s", [tampered, device.pk])
    with pytest.raises(crypto.DecryptionError):
        TOTPDevice.objects.get(pk=device.pk)


def test_keys_are_separate_from_secret_key(settings: Any) -> None:
    assert settings.SECRET_KEY not in settings.ENCRYPTION_KEYS


def test_rotate_re_encrypts_every_row_and_old_key_can_go(harbor: Any, settings: Any) -> None:
    devices = [TOTPDevice.objects.create(user=u, name="phone", confirmed=True) for u in harbor.users.values()]
    plain = {d.pk: d.key for d in devices}
    old_key = settings.ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    assert f"accounts.TOTPDevice: re-encrypted {len(devices)} rows" in out.getvalue()
    settings.ENCRYPTION_KEYS = [new_key]  # the old key is retired
    for device in devices:
        assert TOTPDevice.objects.get(pk=device.pk).key == plain[device.pk]
        assert Fernet(new_key.encode()).decrypt(raw_key(device).encode()).decode() == plain[device.pk]


def test_rotate_fails_loudly_without_the_old_key(harbor: Any, settings: Any) -> None:
    TOTPDevice.objects.create(user=harbor.user("peer"), name="phone", confirmed=True)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="does not decrypt"):
        call_command("keys", "rotate", stdout=StringIO())


def test_generate_prints_a_usable_key() -> None:
    out = StringIO()
    call_command("keys", "generate", stdout=out)
    Fernet(out.getvalue().strip().encode())


def test_bad_key_configuration_is_a_clear_error(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        crypto.encrypt("x")


def test_encrypted_fields_cannot_be_searched() -> None:
    with pytest.raises(Exception, match="Unsupported lookup"):
        list(TOTPDevice.objects.filter(key__contains="a"))


# Fields whose names sound sensitive but that are public (P1) by design, each with the reason.
PUBLIC_BY_DESIGN = {
    "groups.Group.accessibility_notes": "the venue's access details, published in the directory",
    "groups.Session.change_note": "a note to attendees on the public group page ('moved to room 2')",
    "warmline.ScreeningRule.phrase": "organisation policy: a crisis-screening rule's words, shown to staff",
    "warmline.ScreeningRule.note": "organisation policy: why a crisis-screening rule exists, never about a person",
    "warmline.ScreeningWord.term": "organisation policy: a word added to a crisis-screening word set",
    "warmline.ScreeningWord.note": "organisation policy: why a word was added to a word set, never about a person",
}


def test_every_p3_field_uses_the_encrypted_type() -> None:
    """Any field whose name suggests notes, transcripts or lived experience must be encrypted."""
    sensitive_names = ("note", "transcript", "lived_experience", "substance", "wellbeing", "free_text")
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            is_text = isinstance(field, (models.CharField, models.TextField, models.JSONField))
            label = f"{model._meta.label}.{field.name}"
            if is_text and any(word in field.name for word in sensitive_names) and label not in PUBLIC_BY_DESIGN:
                assert isinstance(field, EncryptedTextField), f"{label} must be encrypted"
    for label in PUBLIC_BY_DESIGN:  # the list stays true: every entry still names a plain field
        app_model, name = label.rsplit(".", 1)
        assert not isinstance(apps.get_model(app_model)._meta.get_field(name), EncryptedTextField), label


@hsettings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_round_trip_for_any_text(text: str) -> None:
    token = crypto.encrypt(text)
    assert crypto.decrypt(token) == text
    if len(text) >= 4:
        assert text not in token
