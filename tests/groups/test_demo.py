"""The groups demo (groups/demo.py, loaded by ``alongside demo``): both organisations have groups of
every audience and every format, weekly, every-other-week and monthly schedules, attendance for past
sessions, registrations with a full group's waitlist, a cancelled, a moved and a one-off session,
feedback, and directory listings; loading it again changes nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from alongside.core.tenancy import unscoped
from alongside.directory.models import Listing
from alongside.groups.models import Attendance, Group, Registration, Schedule, Session, SessionFeedback
from alongside.groups.vocab import Audience, GroupFormat

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    with unscoped("test: totals across both demo organisations"):
        return {
            "groups": Group.objects.count(),
            "sessions": Session.objects.count(),
            "registrations": Registration.objects.count(),
            "attendance": Attendance.objects.count(),
            "feedback": SessionFeedback.objects.count(),
            "listings": Listing.objects.count(),
        }


def test_the_demo_has_every_audience_and_format_and_is_idempotent(settings: Any) -> None:
    settings.DEMO = True
    call_command("demo", "--quiet-logins", stdout=StringIO())
    with unscoped("test: the demo's groups"):
        for slug in ("harbor", "riverbend"):
            groups = Group.objects.filter(organisation__slug=slug)
            assert groups.count() >= 5
            assert {g.format for g in groups} == set(GroupFormat.values), slug
            rules = set(Schedule.objects.filter(group__in=groups).values_list("rrule", flat=True))
            assert any("INTERVAL=2" in r for r in rules) and any(r.startswith("FREQ=MONTHLY") for r in rules)
            assert Attendance.objects.filter(session__group__in=groups).exists()
            assert Session.objects.filter(group__in=groups, dropin_headcount__gt=0).exists()
            assert Registration.objects.filter(group__in=groups, participant__isnull=False).exists()
            assert Listing.objects.filter(organisation__slug=slug, kind="group").count() == groups.count()
        audiences = set(Group.objects.values_list("audience", flat=True))
        assert audiences == set(Audience.values)
        assert Registration.objects.filter(status="waitlisted").exists()
        assert Session.objects.filter(status="cancelled").exists()
        assert Session.objects.filter(schedule__isnull=True).exists()  # a one-off
        assert Session.objects.exclude(change_note="").filter(status="scheduled", schedule__isnull=False).exists()
        # No group is over capacity.
        for group in Group.objects.filter(capacity__isnull=False).annotate(
            n=Count(
                "registrations", filter=~Q(registrations__status="waitlisted") & ~Q(registrations__status="cancelled")
            )
        ):
            assert group.n <= group.capacity
    before = counts()
    assert before["feedback"] > 0
    call_command("demo", "--quiet-logins", stdout=StringIO())
    assert counts() == before
