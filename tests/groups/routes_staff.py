"""Matrix routes of groups/views/staff.py (see tests/matrix.py): the group list and form, one
group, its schedules, sessions (cancel, move, put back on, one-off) and agreement. The calendar
feeds take a public slug or a signed token, not an id: they are exempt, tested in test_calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django_scopes import scopes_disabled

from alongside.accounts.models import Program
from alongside.groups.models import Group, Schedule
from tests.groups.helpers import groups_program, make_group, make_schedule
from tests.matrix import EXEMPT, Route, register

NAME = "Matrix Circle"
DESCRIPTION = "Matrix description that must stay with its own organisation"
FIRST = date(2030, 1, 1)  # a Tuesday

EXEMPT.update(
    {
        "groups:public_calendar": "public feed by organisation and group slug; tested in tests/groups/test_calendars",
        "groups:facilitator_calendar": "a signed token, not an id; tested in tests/groups/test_calendars",
    }
)


def tenant_group(t: Any) -> Group:
    """The tenant's sample group, facilitated by the tenant's peer supporter, meeting on Tuesdays."""
    with scopes_disabled():
        existing = Group.objects.filter(organisation=t.organisation, name=NAME).first()
        if existing is not None:
            return existing
        program = Program.objects.filter(organisation=t.organisation, name="Matrix groups").first()
        program = program or groups_program(t, "Matrix groups")
        group = make_group(t, NAME, program=program, description=DESCRIPTION)
        make_schedule(group, start_date=FIRST)
        return group


def _schedule(t: Any) -> Schedule:
    with scopes_disabled():
        return Schedule.objects.get(group=tenant_group(t))


def _group(t: Any) -> dict[str, str]:
    return {"group_id": str(tenant_group(t).pk)}


def _with_schedule(t: Any) -> dict[str, str]:
    return {**_group(t), "schedule_id": str(_schedule(t).pk)}


def _with_key(t: Any) -> dict[str, str]:
    # The first session, 1 January 2030 at 6 pm New York time (23:00 UTC).
    start = datetime(2030, 1, 1, 23, tzinfo=UTC)
    return {**_group(t), "key": f"{_schedule(t).pk}_{start:%Y%m%dT%H%M%SZ}"}


def _secrets(t: Any) -> list[str]:
    tenant_group(t)
    return [NAME, DESCRIPTION]


def _group_data(t: Any) -> dict[str, Any]:
    return {
        "name": "Taken over",
        "program": str(t.program.pk),
        "audience": "adults",
        "language": "en",
        "format": "online",
        "online_url": "https://video.example/x",
        "joining": "drop_in",
        "timezone": "America/New_York",
    }


_when = {"day": "2031-01-01", "start_time": "18:00", "duration_minutes": "60", "note": "Injected"}
_schedule_data = {
    "pattern": "weekly",
    "weekday": "MO",
    "start_time": "18:00",
    "duration_minutes": "90",
    "start_date": "2031-01-06",
}

register(Route("groups:group_list", secrets=_secrets))
register(Route("groups:group_create"))
register(Route("groups:group_create", method="POST", data=_group_data))
register(Route("groups:calendar_subscribe", secrets=_secrets))
register(Route("groups:group_detail", objects=_group, secrets=_secrets))
for _name, _data in [
    ("groups:group_edit", _group_data),
    ("groups:group_status", lambda t: {"status": "ended"}),
    ("groups:agreement_publish", lambda t: {"text": "Injected agreement"}),
    ("groups:schedule_add", lambda t: _schedule_data),
    ("groups:session_add", lambda t: _when),
]:
    register(Route(_name, objects=_group, secrets=_secrets))
    register(Route(_name, method="POST", objects=_group, secrets=_secrets, data=_data))
for _name, _data in [
    ("groups:schedule_edit", lambda t: _schedule_data),
    ("groups:schedule_end", lambda t: {"last_date": "2030-02-01"}),
]:
    register(Route(_name, objects=_with_schedule, secrets=_secrets))
    register(Route(_name, method="POST", objects=_with_schedule, secrets=_secrets, data=_data))
for _name, _data in [
    ("groups:session_cancel", lambda t: {"note": "Injected"}),
    ("groups:session_move", lambda t: _when),
]:
    register(Route(_name, objects=_with_key, secrets=_secrets))
    register(Route(_name, method="POST", objects=_with_key, secrets=_secrets, data=_data))
register(Route("groups:session_reinstate", method="POST", objects=_with_key, secrets=_secrets))
