"""Line services: creating and changing lines (every rule, nothing written on error), phone numbers
to E.164, weekly hours (end before start, overnight, 24 hours, overlaps), closures, audit rows
without content, and the change listeners that run only after commit."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.audit.models import AuditEvent
from alongside.warmline import lines
from alongside.warmline.models import Line, LineClosure
from tests.warmline.lines.helpers import make_line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def actions_since(since: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id").values_list("action", "object_type"))


def create(t: Any, **fields: Any) -> Line:
    data: dict[str, Any] = {"name": "Evening Line", "phone_numbers": [{"label": "Call", "number": "(207) 555-0100"}]}
    data.update(fields)
    return lines.line_create(acting_user=t.user("coordinator"), organisation=t.organisation, **data)


def errors(t: Any, **fields: Any) -> dict[str, list[str]]:
    before = Line.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(t, **fields)
    assert Line.objects.count() == before  # nothing written
    return exc.value.message_dict


def test_create_normalises_phone_defaults_slug_and_language_and_audits(harbor: Any) -> None:
    since = mark()
    line = create(harbor)
    assert line.slug == "evening-line"
    assert line.phone_numbers == [{"label": "Call", "number": "+12075550100", "public": True}]
    assert line.languages == ["en"] and line.audience == "everyone" and line.hours == []
    assert actions_since(since) == [("warmline_line.create", "warmline.line")]
    assert not AuditEvent.objects.filter(id__gt=since, action__icontains="Evening").exists()
    assert create(harbor).slug == "evening-line-2"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(207) 555-0100", "+12075550100"),
        ("207.555.0100", "+12075550100"),
        ("1-207-555-0100", "+12075550100"),
        ("+1 207 555 0100", "+12075550100"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert lines.normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["555-0100", "(107) 555-0100", "+1 107 555 0100", "call us", "+0 123 4567", "12+34567890", ""]
)
def test_bad_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        lines.normalise_phone(typed)


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"name": ""}, "name", "Give the line a name"),
        ({"name": "x" * 121}, "name", "120 characters"),
        ({"slug": "Not A Slug"}, "slug", "lower-case"),
        ({"phone_numbers": [{"label": "Call", "number": "call us"}]}, "phone_numbers", "not a phone number"),
        ({"phone_numbers": "2075550100"}, "phone_numbers", "label"),
        (
            {"phone_numbers": [{"number": "(207) 555-0100"}, {"number": "+12075550100"}]},
            "phone_numbers",
            "twice",
        ),
        ({"phone_numbers": [], "chat_enabled": False}, "phone_numbers", "a way to reach"),
        ({"phone_numbers": [{"number": f"(207) 555-010{n}"} for n in range(4)]}, "phone_numbers", "up to 3"),
        ({"languages": ["fr"]}, "languages", "languages your organisation offers"),
        ({"languages": "en"}, "languages", "Choose the languages"),
        ({"audience": "patients"}, "audience", "who the line is for"),
        ({"max_chats_per_peer": 9}, "max_chats_per_peer", "1 to 5"),
        ({"description": 5}, "description", "must be text"),
    ],
)
def test_bad_line_input_is_refused_clearly(harbor: Any, fields: dict[str, Any], key: str, words: str) -> None:
    assert words in " ".join(errors(harbor, **fields)[key])


def test_slug_is_unique_per_organisation_only(harbor: Any, riverbend: Any) -> None:
    create(harbor, slug="evenings")
    assert "Another line" in errors(harbor, slug="evenings")["slug"][0]
    assert create(riverbend, slug="evenings").slug == "evenings"


def test_program_must_be_ours_and_offer_a_warm_line(harbor: Any, riverbend: Any) -> None:
    assert "does not offer a warm line" in errors(harbor, program=harbor.program)["program"][0]
    assert "this organisation" in errors(harbor, program=riverbend.program)["program"][0]
    program = account_services.program_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, name="Lines", offers_warmline=True
    )
    assert create(harbor, program=program).program == program


def test_update_checks_the_whole_line_and_audits_only_changes(harbor: Any) -> None:
    line = create(harbor, chat_enabled=True)
    since = mark()
    lines.line_update(acting_user=harbor.user("admin"), line=line, name="Evening Line")
    assert actions_since(since) == []
    lines.line_update(acting_user=harbor.user("admin"), line=line, name="Late Line", slug="late")
    line.refresh_from_db()
    assert (line.name, line.slug) == ("Late Line", "late")
    assert actions_since(since) == [("warmline_line.update", "warmline.line")]
    with pytest.raises(ValidationError):
        lines.line_update(acting_user=harbor.user("admin"), line=line, phone_numbers=[], chat_enabled=False)
    line.refresh_from_db()
    assert line.chat_enabled
    with pytest.raises(ValueError, match="unknown"):
        lines.line_update(acting_user=harbor.user("admin"), line=line, organisation=None)


# --- Hours ---------------------------------------------------------------------------------------------


def hours_errors(t: Any, periods: Any) -> dict[str, list[str]]:
    line = make_line(t, hours=[])
    with pytest.raises(ValidationError) as exc:
        lines.line_hours_set(acting_user=t.user("admin"), line=line, periods=periods)
    line.refresh_from_db()
    assert line.hours == []
    return exc.value.message_dict


def p(day: int, opens: time, closes: time, overnight: bool = False) -> dict[str, Any]:
    return {"day": day, "opens": opens, "closes": closes, "overnight": overnight}


def test_hours_are_saved_sorted_with_overnight_and_24_hours(harbor: Any) -> None:
    line = make_line(harbor, hours=[])
    since = mark()
    periods = [
        p(0, time(18), time(22)),
        p(0, time(9), time(13)),
        p(4, time(20), time(2), True),
        p(6, time(0), time(0), True),
    ]
    lines.line_hours_set(acting_user=harbor.user("admin"), line=line, periods=periods)
    line.refresh_from_db()
    assert line.hours == [
        {"day": 0, "opens": "09:00", "closes": "13:00", "overnight": False},
        {"day": 0, "opens": "18:00", "closes": "22:00", "overnight": False},
        {"day": 4, "opens": "20:00", "closes": "02:00", "overnight": True},
        {"day": 6, "opens": "00:00", "closes": "00:00", "overnight": True},
    ]
    assert actions_since(since) == [("warmline_line.hours_set", "warmline.line")]
    lines.line_hours_set(acting_user=harbor.user("admin"), line=line, periods=periods)
    assert len(actions_since(since)) == 1  # the same hours again: nothing to record


@pytest.mark.parametrize(
    ("periods", "key", "words"),
    [
        ([p(1, time(22), time(18))], "day_1", "Tuesday: the line closes before it opens"),
        ([p(1, time(18), time(18))], "day_1", "closes the next day"),
        ([p(1, time(18), time(22), True)], "day_1", "must close before the time it opens"),
        ([p(2, time(9), time(13)), p(2, time(12), time(16))], "day_2", "Wednesday: the period from 12:00 overlaps"),
        ([p(4, time(20), time(2), True), p(5, time(1), time(5))], "day_5", "overlaps"),
        ([p(6, time(22), time(3), True), p(0, time(2), time(5))], "day_6", "overlaps"),  # Sunday into Monday
        ([p(1, time(0), time(0), True), p(1, time(9), time(10))], "day_1", "overlaps"),
        ([p(1, "18:00", time(22))], "day_1", "both the opening and the closing"),
        ([{"day": 7, "opens": time(9), "closes": time(10)}], "hours", "could not be read"),
        ("Mon 9-5", "hours", "could not be read"),
    ],
)
def test_bad_hours_are_refused_clearly(harbor: Any, periods: Any, key: str, words: str) -> None:
    assert words in " ".join(hours_errors(harbor, periods)[key])


def test_touching_periods_are_allowed(harbor: Any) -> None:
    line = make_line(harbor, hours=[])
    lines.line_hours_set(
        acting_user=harbor.user("admin"),
        line=line,
        periods=[p(1, time(9), time(13)), p(1, time(13), time(17)), p(1, time(20), time(9), True)],
    )
    assert len(line.hours) == 3


# --- Closures -------------------------------------------------------------------------------------------


def test_closure_all_day_and_part_day_then_removed(harbor: Any) -> None:
    line = make_line(harbor)
    since = mark()
    day = lines.closure_add(
        acting_user=harbor.user("admin"), line=line, starts_on=date(2026, 11, 26), reason=" Thanksgiving "
    )
    assert (day.ends_on, day.all_day, day.reason) == (date(2026, 11, 26), True, "Thanksgiving")
    part = lines.closure_add(
        acting_user=harbor.user("admin"),
        line=line,
        starts_on=date(2026, 12, 24),
        reason="Christmas Eve",
        start_time=time(18),
        end_time=time(20),
    )
    assert not part.all_day
    lines.closure_remove(acting_user=harbor.user("admin"), closure=day)
    assert list(LineClosure.objects.filter(line=line)) == [part]
    assert actions_since(since) == [
        ("warmline_closure.add", "warmline.lineclosure"),
        ("warmline_closure.add", "warmline.lineclosure"),
        ("warmline_closure.remove", "warmline.lineclosure"),
    ]


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"reason": ""}, "reason", "Say why"),
        ({"reason": "x" * 121}, "reason", "120 characters"),
        ({"starts_on": "2026-11-26"}, "starts_on", "first day"),
        ({"ends_on": date(2026, 11, 25)}, "ends_on", "on or after the first day"),
        ({"ends_on": date(2028, 1, 1)}, "ends_on", "up to a year"),
        ({"start_time": time(18)}, "start_time", "both the time it closes and the time it reopens"),
        ({"start_time": time(18), "end_time": time(9)}, "end_time", "reopen after"),
    ],
)
def test_bad_closures_are_refused_clearly(harbor: Any, fields: dict[str, Any], key: str, words: str) -> None:
    line = make_line(harbor)
    data: dict[str, Any] = {"starts_on": date(2026, 11, 26), "reason": "Thanksgiving"}
    data.update(fields)
    with pytest.raises(ValidationError) as exc:
        lines.closure_add(acting_user=harbor.user("admin"), line=line, **data)
    assert words in " ".join(exc.value.message_dict[key])
    assert not LineClosure.objects.exists()


def test_listeners_run_only_after_commit(harbor: Any, django_capture_on_commit_callbacks: Any) -> None:
    seen: list[Any] = []
    listener = lines.register_change_listener(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            line = create(harbor)
            assert seen == []
        assert seen == [line]
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            create(harbor, name="")
        assert seen == [line]
    finally:
        lines.unregister_change_listener(listener)
