"""``record(...)``: the one entry point every service uses to write the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from alongside.audit.models import GENESIS, AuditChainHead, AuditEvent
from alongside.core import context

SYSTEM_CHAIN = "system"


def _organisation_id_of(obj: Any) -> UUID | None:
    if obj is None:
        return None
    from alongside.accounts.models import Organisation

    if isinstance(obj, Organisation):
        return obj.pk
    org_id = getattr(obj, "organisation_id", None)
    return org_id if isinstance(org_id, UUID) else None


def _role_of(actor: Any, organisation_id: UUID | None) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "anonymous" if actor is not None else "system"
    ctx_roles = context.current_roles(organisation_id)
    if ctx_roles is not None:
        return ctx_roles
    if organisation_id is None:
        return "superuser" if actor.is_superuser else "user"
    from alongside.accounts.selectors import roles_for

    roles = roles_for(actor, organisation_id)
    return "+".join(sorted(roles)) if roles else ("superuser" if actor.is_superuser else "none")


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    organisation: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    role: str | None = None,
) -> AuditEvent:
    """Append one event: who (actor and role), what (action, object type and id), where, when.

    Runs inside the caller's transaction, so the audit row commits or rolls back with the change
    it describes. Never pass content: only identifiers.
    """
    organisation_id = _organisation_id_of(organisation) if organisation is not None else _organisation_id_of(obj)
    if object_type is None and obj is not None:
        object_type = obj._meta.label_lower
    if object_id is None and obj is not None:
        object_id = obj.pk
    ctx = context.current()
    chain = str(organisation_id) if organisation_id else SYSTEM_CHAIN
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None

    with transaction.atomic():
        head = _lock_head(chain)
        event = AuditEvent(
            chain=chain,
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_role=role if role is not None else _role_of(actor, organisation_id),
            organisation_id=organisation_id,
            action=action,
            object_type=object_type or "",
            object_id=str(object_id) if object_id is not None else "",
            ip=ctx.ip if ctx else None,
            request_id=ctx.request_id if ctx else "",
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.seq = event.seq
        head.hash = event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def _lock_head(chain: str) -> AuditChainHead:
    """Lock the chain's head row (created on first use) so concurrent appends queue up."""
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # another writer created it first; lock theirs
    return AuditChainHead.objects.select_for_update().get(chain=chain)


@dataclass(frozen=True)
class Problem:
    chain: str
    event_id: int | None
    seq: int
    reason: str

    def __str__(self) -> str:
        where = f"entry id={self.event_id} " if self.event_id is not None else ""
        return f"chain {self.chain}: {where}seq={self.seq}: {self.reason}"


def verify() -> Iterator[Problem]:
    """Walk every chain from its first entry; yield each break (altered, removed or reordered)."""
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    chains = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        expected_seq = 1
        prev_hash = GENESIS
        last_id: int | None = None
        for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
            if event.seq != expected_seq:
                yield Problem(chain, event.id, expected_seq, f"entry seq={expected_seq} is missing (removed)")
                break
            if event.prev_hash != prev_hash:
                yield Problem(chain, event.id, event.seq, "link to the previous entry is broken")
                break
            if event.compute_hash() != event.hash:
                yield Problem(chain, event.id, event.seq, "contents were altered (hash mismatch)")
                break
            prev_hash = event.hash
            last_id = event.id
            expected_seq += 1
        else:
            head = heads.get(chain)
            if head is None:
                yield Problem(chain, last_id, expected_seq - 1, "chain has no head record")
            elif head.seq != expected_seq - 1 or head.hash != prev_hash:
                yield Problem(
                    chain,
                    last_id,
                    head.seq,
                    f"head says seq={head.seq} but the chain ends at seq={expected_seq - 1}"
                    " (entries removed from the end)",
                )
