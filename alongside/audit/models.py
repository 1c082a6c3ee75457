"""The append-only, hash-chained audit and access log.

Each organisation has its own chain (and ``system`` holds events outside any organisation), so
writers in different organisations never wait for each other. A row records who did what to which
object, when, from where and in which request: never the content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True)
    actor_role = models.CharField(max_length=100, blank=True)
    organisation_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq")]
        indexes = [
            models.Index(fields=["organisation_id", "object_id"], name="audit_org_object"),
            models.Index(fields=["organisation_id", "-id"], name="audit_org_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit events are append-only")

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.payload())

    def payload(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": str(self.actor_id) if self.actor_id else "",
            "actor_role": self.actor_role,
            "organisation_id": str(self.organisation_id) if self.organisation_id else "",
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip or "",
            "request_id": self.request_id,
        }


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


GENESIS = "0" * 64


class AuditChainHead(models.Model):
    """The newest entry of each chain; locked while appending so a chain never forks."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        ordering = ["chain"]

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"
