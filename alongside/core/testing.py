"""Helpers for the test suite and the benchmarks (never imported by the app itself)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY


def verified_client(user: Any) -> Client:
    """A client signed in as ``user`` with the second factor passed, as after a TOTP code."""
    from alongside.accounts.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test device", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["alongside_auth_at"] = timezone.now().isoformat()
    session["alongside_last_seen"] = timezone.now().isoformat()
    session.save()
    return client
