"""``Idempotency-Key`` on the API's creates (draft-ietf-httpapi-idempotency-key-header).

A client that may retry a POST sends ``Idempotency-Key: "<unique value>"``. For the same user:

* same key, same request (method, path and body) → the first response again (status and body),
  and nothing is created a second time;
* same key, different request → 422;
* same key while the first request is still running → 409.

Only successful responses are kept: a failed create stores nothing, so the client may correct the
request and send it again with the same key. Keys are forgotten after ``IDEMPOTENCY_KEY_TTL``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder

from alongside.accounts.models import User
from alongside.api.models import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_TTL, IdempotencyKey

HEADER = "Idempotency-Key"
# A first request that has not finished after this long died with its process: its key is free again.
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)
# Visible ASCII, no spaces: what an sf-string holds in practice (UUIDs, random tokens).
_KEY = re.compile(r"[\x21-\x7e]+")


def idempotency_openapi() -> dict[str, Any]:
    """For the OpenAPI document: ``openapi_extra=idempotency_openapi()`` on each operation that honours it."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "description": (
                    "Makes a retry safe: the same key with the same body returns the first response again "
                    "without creating anything. The same key with a different body is refused (422); a key "
                    "whose first request is still running is refused (409). Keys are kept for 24 hours."
                ),
                "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
            }
        ]
    }


Result = tuple[int, Any]


def parse_key(value: str) -> str:
    """The key from the header: an sf-string (quoted); a bare token is accepted too."""
    key = value.strip()
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not _KEY.fullmatch(key):
        raise ValidationError(
            {
                HEADER: [
                    f"Use 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters without spaces, "
                    'for example a UUID: Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324".'
                ]
            }
        )
    return key


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the body, JSON-canonicalised so key order and spacing do not matter."""
    raw = request.body
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _as_json(body: Any) -> Any:
    """The body exactly as it will be stored and replayed (UUIDs, dates and times as strings)."""
    return json.loads(json.dumps(body, cls=NinjaJSONEncoder))


def _claim(request: HttpRequest, key: str) -> IdempotencyKey | Result:
    """Record the key as in flight (committed at once, so a concurrent retry sees it), or answer
    from the stored first request."""
    user = cast(User, request.user)
    fingerprint = request_fingerprint(request)
    method, path = request.method or "", request.path
    now = timezone.now()
    with transaction.atomic():
        existing = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if existing is not None and (
            existing.created_at <= now - IDEMPOTENCY_KEY_TTL
            or (existing.response_status is None and existing.created_at <= now - IN_FLIGHT_TIMEOUT)
        ):
            existing.delete()
            existing = None
        if existing is None:
            try:
                with transaction.atomic():
                    return IdempotencyKey.objects.create(
                        user=user, key=key, method=method, path=path, request_hash=fingerprint, created_at=now
                    )
            except IntegrityError:
                # Another request with this key claimed it between our read and our insert.
                raise HttpError(409, "A request with this Idempotency-Key is still in progress.") from None
    if (existing.method, existing.path, existing.request_hash) != (method, path, fingerprint):
        raise HttpError(
            422,
            "This Idempotency-Key was already used with a different request. "
            "Use a new key for a new request, or send exactly the same request to retry.",
        )
    if existing.response_status is None:
        raise HttpError(409, "A request with this Idempotency-Key is still in progress. Try again shortly.")
    return existing.response_status, json.loads(existing.response_body)


def idempotent(request: HttpRequest, compute: Callable[[], Result]) -> Result:
    """Run ``compute`` (a create returning ``(status, body)``) at most once per Idempotency-Key.

    ``compute`` runs in a transaction with the storing of its response: if it raises, nothing of it
    is kept and the key is released. Without the header it simply runs (in a transaction).
    """
    header = request.headers.get(HEADER)
    if header is None:
        with transaction.atomic():
            status, body = compute()
        return status, _as_json(body)

    claimed = _claim(request, parse_key(header))
    if not isinstance(claimed, IdempotencyKey):
        return claimed
    try:
        with transaction.atomic():
            status, body = compute()
            body = _as_json(body)
            if 200 <= status < 300:
                claimed.response_status = status
                claimed.response_body = json.dumps(body)
                claimed.save(update_fields=["response_status", "response_body"])
    except BaseException:
        _release(claimed)
        raise
    if claimed.response_status is None:
        _release(claimed)
    return status, body


def _release(claimed: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=claimed.pk, response_status__isnull=True).delete()
