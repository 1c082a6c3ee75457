"""Per-request (or per-command) context: request id and client address, kept in contextvars.

Context variables, not thread-locals, so ASGI requests and management commands each get their own
and nothing leaks from one unit of work into the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from uuid import UUID


@dataclass
class RequestContext:
    request_id: str
    ip: str | None = None
    # The acting user's roles per organisation, set once the request's membership is resolved,
    # so audit rows name the role without another query.
    roles: dict[UUID, str] = field(default_factory=dict)


_current: ContextVar[RequestContext | None] = ContextVar("alongside_request_context", default=None)


def current() -> RequestContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def request_context(*, request_id: str | None = None, ip: str | None = None) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or new_request_id(), ip=ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_roles(organisation_id: UUID, roles: str) -> None:
    ctx = _current.get()
    if ctx is not None:
        ctx.roles[organisation_id] = roles


def current_roles(organisation_id: UUID | None) -> str | None:
    ctx = _current.get()
    if ctx is None or organisation_id is None:
        return None
    return ctx.roles.get(organisation_id)
