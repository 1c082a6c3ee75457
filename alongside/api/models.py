"""Idempotency keys of the API (draft-ietf-httpapi-idempotency-key-header).

One row per (user, key): the request it was first used with (method, path, SHA-256 of the body)
and, once that request has succeeded, its response. A row without a response is a request still
in flight. Rows older than ``IDEMPOTENCY_KEY_TTL`` are ignored (and replaced when the key returns).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from alongside.core.crypto import EncryptedTextField

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    request_hash = models.CharField(max_length=64)
    # None while the first request is in flight.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response as JSON text. It may hold P2/P3 data (a created record), so it is encrypted.
    response_body = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.user_id})"

    @property
    def is_expired(self) -> bool:
        return self.created_at <= timezone.now() - IDEMPOTENCY_KEY_TTL
