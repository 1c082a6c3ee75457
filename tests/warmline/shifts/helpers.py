"""Set-up for the warm-line shifts tests: a line, a frozen moment, shifts through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django_scopes import scopes_disabled

from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota
from alongside.warmline.models import Line, Shift

# Monday 4 March 2030, noon UTC (7 am in New York, still on standard time; DST starts on the 10th).
NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


def make_line(tenant: Any, name: str = "Evening Line") -> Line:
    with scopes_disabled():
        existing = Line.objects.filter(organisation=tenant.organisation, name=name).first()
        if existing is not None:
            return existing
        return Line.objects.create(organisation=tenant.organisation, name=name, slug=name.lower().replace(" ", "-"))


def make_shift(
    tenant: Any,
    line: Line | None = None,
    *,
    starts_at: datetime | None = None,
    hours: int = 4,
    min_peers: int = 1,
    max_peers: int = 2,
    supervisor: Any = None,
) -> Shift:
    line = line or make_line(tenant)
    start = starts_at or NOW + timedelta(days=1)
    with tenant_scope(tenant.organisation):
        return rota.shift_create(
            acting_user=tenant.user("coordinator"),
            line=line,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            min_peers=min_peers,
            max_peers=max_peers,
            supervisor=supervisor,
        )


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield
