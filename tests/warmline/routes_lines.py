"""Matrix routes of the warm line: lines (see tests/matrix.py). The staff list and form, one line,
its form, hours and closures. The public line page takes organisation and line slugs, not ids:
exempt, tested in tests/warmline/lines/test_public_page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline.models import Line, LineClosure
from tests.matrix import EXEMPT, Route, register

NAME = "Matrix Warm Line"
DESCRIPTION = "Matrix line description that must stay with its own organisation"
REASON = "Matrix closure reason"

EXEMPT.update(
    {
        "warmline:public_line": "public page by organisation and line slug; tested in "
        "tests/warmline/lines/test_public_page",
        "warmline:line_status": "public status JSON (P1) by organisation and line slug, for the embeddable "
        "widget; tested in tests/warmline/widget/test_widget",
    }
)


def tenant_line(t: Any) -> Line:
    """The tenant's sample line, with one closure."""
    with scopes_disabled():
        line = Line.objects.filter(organisation=t.organisation, name=NAME).first()
        if line is None:
            line = Line.objects.create(
                organisation=t.organisation,
                name=NAME,
                slug="matrix-warm-line",
                description=DESCRIPTION,
                phone_numbers=[{"label": "Call", "number": "+12075550199", "public": True}],
                hours=[{"day": 0, "opens": "18:00", "closes": "22:00", "overnight": False}],
            )
            LineClosure.objects.create(
                organisation=t.organisation,
                line=line,
                starts_on=date(2030, 1, 1),
                ends_on=date(2030, 1, 1),
                reason=REASON,
            )
        return line


def _line(t: Any) -> dict[str, str]:
    return {"line_id": str(tenant_line(t).pk)}


def _closure(t: Any) -> dict[str, str]:
    line = tenant_line(t)
    with scopes_disabled():
        closure = LineClosure.objects.get(line=line)
    return {"line_id": str(line.pk), "closure_id": str(closure.pk)}


def _secrets(t: Any) -> list[str]:
    tenant_line(t)
    return [NAME, DESCRIPTION, REASON]


def _line_data(t: Any) -> dict[str, Any]:
    return {
        "name": "Taken over",
        "audience": "everyone",
        "languages": ["en"],
        "max_chats_per_peer": "2",
        "phone_1_label": "Call",
        "phone_1_number": "(207) 555-0111",
        "phone_1_public": "on",
    }


register(Route("warmline:line_list", secrets=_secrets))
register(Route("warmline:line_create"))
register(Route("warmline:line_create", method="POST", data=_line_data))
register(Route("warmline:line_detail", objects=_line, secrets=_secrets))
for _name, _data in [
    ("warmline:line_edit", _line_data),
    ("warmline:line_hours", lambda t: {"d1_1_opens": "09:00", "d1_1_closes": "17:00"}),
    ("warmline:closure_add", lambda t: {"reason": "Injected", "starts_on": "2031-01-01"}),
]:
    register(Route(_name, objects=_line, secrets=_secrets))
    register(Route(_name, method="POST", objects=_line, secrets=_secrets, data=_data))
register(Route("warmline:closure_remove", method="POST", objects=_closure, secrets=_secrets))
