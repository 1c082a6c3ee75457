"""Group services: creating and changing groups (every rule, with nothing written on error), the
agreement's versions, schedules, sessions (materialised once, cancelled, moved, one-off), audit
rows without content, and the change listeners that run only after commit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django_scopes import scopes_disabled

from alongside.accounts.models import Program
from alongside.audit.models import AuditEvent
from alongside.groups import services
from alongside.groups.models import Group, GroupAgreement, Schedule, Session, SessionStatus
from alongside.groups.schedules import occurrences
from tests.groups.helpers import groups_program, make_group, make_schedule
from tests.workforce.helpers import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def actions_since(mark: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("action", "object_type"))


def mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _groups_program(t: Any) -> Program:
    return Program.objects.filter(organisation=t.organisation, name="Peer Groups").first() or groups_program(t)


def create(t: Any, **fields: Any) -> Group:
    data: dict[str, Any] = {
        "name": "Thursday Evening Circle",
        "program": fields.pop("program", None) or _groups_program(t),
        "format": "in_person",
        "site": t.site,
        "facilitator": t.user("peer"),
    }
    data.update(fields)
    return services.group_create(acting_user=t.user("coordinator"), organisation=t.organisation, **data)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_create_defaults_slug_timezone_and_audit(harbor: Any) -> None:
    program = groups_program(harbor)
    before = mark()
    group = create(harbor, program=program, topics=["grief", "grief"], co_facilitators=[harbor.user("supervisor")])
    assert group.slug == "thursday-evening-circle"
    assert group.timezone == harbor.organisation.timezone
    assert group.topics == ["grief"]
    assert list(group.co_facilitators.all()) == [harbor.user("supervisor")]
    assert actions_since(before) == [("group.create", "groups.group")]
    again = create(harbor, program=program)
    assert again.slug == "thursday-evening-circle-2"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"format": "carrier-pigeon"}, "format"),
        ({"format": "in_person", "site": None}, "site"),
        ({"format": "online", "site": None, "online_url": ""}, "online_url"),
        ({"format": "online", "site": None, "online_url": "http://video.example/room"}, "online_url"),
        ({"format": "hybrid", "online_url": "javascript:alert(1)"}, "online_url"),
        ({"format": "phone", "site": None}, "dial_in"),
        ({"format": "phone", "site": None, "dial_in": "call me maybe"}, "dial_in"),
        ({"joining": "registration"}, "capacity"),
        ({"joining": "registration", "capacity": 0}, "capacity"),
        ({"joining": "registration", "capacity": 10, "join_details_public": True}, "join_details_public"),
        ({"audience": "youth", "age_min": 14, "age_max": 18}, "audience"),
        ({"audience": "families"}, "audience"),
        ({"audience": "community"}, "communities"),
        ({"topics": ["astrology"]}, "topics"),
        ({"topics": "grief"}, "topics"),
        ({"communities": ["martians"], "audience": "community"}, "communities"),
        ({"accessibility": ["jetpack"]}, "accessibility"),
        ({"language": "xx"}, "language"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"is_free": False}, "cost_description"),
        ({"age_min": 30, "age_max": 20}, "age_min"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(harbor: Any, fields: dict[str, Any], field: str) -> None:
    program = groups_program(harbor)
    before = mark()
    with pytest.raises(ValidationError) as exc:
        create(harbor, program=program, **fields)
    assert field in errors_of(exc)
    assert not Group.objects.exists()
    assert actions_since(before) == []


def test_youth_groups_need_a_youth_program_and_an_age_range_within_10_to_25(harbor: Any) -> None:
    youth = groups_program(harbor, "Youth groups", serves_youth=True)
    with pytest.raises(ValidationError) as exc:
        create(harbor, program=youth, audience="youth")
    assert "age_min" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        create(harbor, program=youth, audience="youth", age_min=8, age_max=14)
    assert "10" in errors_of(exc)["age_min"][0]
    with pytest.raises(ValidationError):
        create(harbor, program=youth, audience="youth", age_min=18, age_max=26)
    group = create(harbor, program=youth, audience="youth", age_min=14, age_max=18)
    assert (group.age_min, group.age_max) == (14, 18)


def test_program_site_and_facilitators_must_belong_to_the_organisation(harbor: Any, riverbend: Any) -> None:
    foreign_program = groups_program(riverbend)
    with pytest.raises(ValidationError) as exc:
        create(harbor, program=foreign_program)
    assert "program" in errors_of(exc)
    mentoring_only = harbor.program  # offers mentorship, not groups
    with pytest.raises(ValidationError) as exc:
        create(harbor, program=mentoring_only)
    assert "does not offer peer support groups" in errors_of(exc)["program"][0]
    with pytest.raises(ValidationError) as exc:
        create(harbor, site=riverbend.site)
    assert "site" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        create(harbor, facilitator=riverbend.user("peer"))
    assert "facilitator" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        create(harbor, facilitator=harbor.user("referrer"))
    assert "facilitator" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        create(harbor, co_facilitators=[riverbend.user("peer")])
    assert "co_facilitators" in errors_of(exc)
    assert not Group.objects.exists()
    coordinator_led = create(harbor, facilitator=harbor.user("coordinator"))
    assert coordinator_led.facilitator == harbor.user("coordinator")


def test_slug_must_be_unique_in_the_organisation_only(harbor: Any, riverbend: Any) -> None:
    create(harbor, slug="circle")
    create(riverbend, slug="circle")
    with pytest.raises(ValidationError) as exc:
        create(harbor, slug="circle")
    assert "slug" in errors_of(exc)


def test_update_checks_the_whole_group_and_audits_only_changes(harbor: Any) -> None:
    group = create(harbor)
    other = staff(harbor, "Robin")
    before = mark()
    services.group_update(acting_user=harbor.user("coordinator"), group=group, name=group.name)
    assert actions_since(before) == []
    with pytest.raises(ValidationError) as exc:
        services.group_update(acting_user=harbor.user("coordinator"), group=group, format="online")
    assert "online_url" in errors_of(exc)
    group.refresh_from_db()
    assert group.format == "in_person"
    services.group_update(
        acting_user=harbor.user("coordinator"),
        group=group,
        format="hybrid",
        online_url="https://video.example/room",
        co_facilitators=[other],
    )
    group.refresh_from_db()
    assert group.format == "hybrid"
    assert list(group.co_facilitators.all()) == [other]
    assert actions_since(before) == [("group.update", "groups.group")]
    with pytest.raises(ValueError, match="unknown"):
        services.group_update(acting_user=harbor.user("coordinator"), group=group, organisation=None)


def test_status(harbor: Any) -> None:
    group = create(harbor)
    services.group_set_status(acting_user=harbor.user("coordinator"), group=group, status="paused")
    assert Group.objects.get(pk=group.pk).status == "paused"
    with pytest.raises(ValidationError):
        services.group_set_status(acting_user=harbor.user("coordinator"), group=group, status="exploded")


def test_agreement_versions(harbor: Any) -> None:
    group = create(harbor)
    first = services.agreement_publish(
        acting_user=harbor.user("coordinator"), group=group, text="What is said here stays here."
    )
    second = services.agreement_publish(
        acting_user=harbor.user("coordinator"), group=group, text="We listen.\nWe share the time."
    )
    assert (first.version, second.version) == (1, 2)
    assert services.current_agreement(group) == second
    with pytest.raises(ValidationError) as exc:
        services.agreement_publish(
            acting_user=harbor.user("coordinator"), group=group, text="We listen.\nWe share the time."
        )
    assert "same" in errors_of(exc)["text"][0]
    with pytest.raises(ValidationError):
        services.agreement_publish(acting_user=harbor.user("coordinator"), group=group, text="   ")
    with pytest.raises(ValidationError):
        services.agreement_publish(acting_user=harbor.user("coordinator"), group=group, text="x" * 6001)
    assert GroupAgreement.objects.filter(group=group).count() == 2


def test_schedule_add_update_end(harbor: Any) -> None:
    group = make_group(harbor)
    user = harbor.user("coordinator")
    schedule = services.schedule_add(
        acting_user=user,
        group=group,
        rrule="rrule:freq=weekly;byday=th",
        start_date=date(2026, 1, 8),
        start_time=time(18, 0),
    )
    assert schedule.rrule == "FREQ=WEEKLY;BYDAY=TH"
    services.schedule_update(acting_user=user, schedule=schedule, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
    assert Schedule.objects.get(pk=schedule.pk).rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    services.schedule_end(acting_user=user, schedule=schedule, last_date=date(2026, 3, 1))
    assert Schedule.objects.get(pk=schedule.pk).until == date(2026, 3, 1)
    with pytest.raises(ValidationError) as exc:
        services.schedule_end(acting_user=user, schedule=schedule, last_date=date(2025, 1, 1))
    assert "until" in errors_of(exc)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rrule": "FREQ=DAILY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "FREQ=MONTHLY;BYDAY=MO"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}, "rrule"),
        ({"start_date": "2026-01-01"}, "start_date"),
        ({"start_time": None}, "start_time"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"duration_minutes": 9 * 60}, "duration_minutes"),
        ({"until": date(2025, 12, 1)}, "until"),
    ],
)
def test_schedule_bad_input(harbor: Any, fields: dict[str, Any], field: str) -> None:
    group = make_group(harbor)
    data: dict[str, Any] = {"rrule": "FREQ=WEEKLY;BYDAY=TU", "start_date": date(2026, 1, 6), "start_time": time(18)}
    data.update(fields)
    with pytest.raises(ValidationError) as exc:
        services.schedule_add(acting_user=harbor.user("coordinator"), group=group, **data)
    assert field in errors_of(exc)
    assert not Schedule.objects.exists()


def _first(group: Group) -> Any:
    return occurrences(group, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))[0]


def test_session_for_is_idempotent_and_refuses_foreign_or_wrong_keys(harbor: Any) -> None:
    group = make_group(harbor)
    schedule = make_schedule(group)
    occurrence = _first(group)
    assert occurrence.starts_at == datetime(2026, 1, 6, 23, 0, tzinfo=UTC)
    session = services.session_for(group=group, key=occurrence.key)
    assert services.session_for(group=group, key=occurrence.key) == session
    assert services.session_for(group=group, key=str(session.pk)) == session
    assert (session.schedule, session.original_start, session.status) == (schedule, occurrence.starts_at, "scheduled")
    assert session.ends_at - session.starts_at == timedelta(minutes=90)
    other = make_group(harbor, "Other Circle")
    bad = [
        f"{schedule.pk}_20260107T230000Z",  # a Wednesday: not an occurrence
        f"{schedule.pk}_20260106T220000Z",  # the wrong hour
        f"{schedule.pk}_garbage",
        "not-a-key",
        "",
        str(session.pk).replace("-", "")[:-1] + "0_x",
    ]
    for key in bad:
        with pytest.raises(ValidationError):
            services.session_for(group=group, key=key)
    with pytest.raises(ValidationError):
        services.session_for(group=other, key=occurrence.key)
    with pytest.raises(ValidationError):
        services.session_for(group=other, key=str(session.pk))
    assert Session.objects.count() == 1


def test_session_for_race_reads_the_winners_row(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    group = make_group(harbor)
    make_schedule(group)
    occurrence = _first(group)
    winner = services.session_for(group=group, key=occurrence.key)
    # The loser checked before the winner committed: its lookup found nothing, its insert collides.
    real_filter = Session.objects.filter
    calls = {"n": 0}

    def first_lookup_misses(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        found = real_filter(*args, **kwargs)
        return found.none() if calls["n"] == 1 else found

    monkeypatch.setattr(Session.objects, "filter", first_lookup_misses)
    assert services.session_for(group=group, key=occurrence.key) == winner
    with pytest.raises(IntegrityError):
        Session.objects.create(
            organisation=harbor.organisation,
            group=group,
            schedule=winner.schedule,
            original_start=winner.original_start,
            starts_at=winner.starts_at,
            ends_at=winner.ends_at,
        )


def test_cancel_move_reinstate_and_one_off(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, start_date=date(2030, 1, 1))
    user = harbor.user("coordinator")
    window = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC))
    first, second = occurrences(group, *window)[:2]
    before = mark()
    cancelled = services.session_cancel(acting_user=user, group=group, key=first.key, note="Snow day")
    assert (cancelled.status, cancelled.change_note) == (SessionStatus.CANCELLED, "Snow day")
    with pytest.raises(ValidationError):
        services.session_cancel(acting_user=user, group=group, key=first.key)
    services.session_reinstate(acting_user=user, group=group, key=str(cancelled.pk))
    new_start = datetime(2030, 1, 9, 23, 0, tzinfo=UTC)
    moved = services.session_move(
        acting_user=user, group=group, key=second.key, starts_at=new_start, duration_minutes=60, note="Room 2"
    )
    assert (moved.starts_at, moved.ends_at, moved.original_start) == (
        new_start,
        new_start + timedelta(hours=1),
        second.starts_at,
    )
    extra = services.session_add_one_off(
        acting_user=user, group=group, starts_at=datetime(2030, 1, 25, 17, tzinfo=UTC), duration_minutes=120
    )
    assert extra.schedule is None
    found = occurrences(group, *window)
    starts = [o.starts_at for o in found]
    assert second.starts_at not in starts and new_start in starts and extra.starts_at in starts
    assert actions_since(before) == [
        ("group_session.cancel", "groups.session"),
        ("group_session.reinstate", "groups.session"),
        ("group_session.move", "groups.session"),
        ("group_session.add_one_off", "groups.session"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": datetime(2030, 1, 1, 18)}, "starts_at"),  # naive
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": datetime(2020, 1, 1, tzinfo=UTC)}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_one_off_and_move_bad_input(harbor: Any, fields: dict[str, Any], field: str) -> None:
    group = make_group(harbor)
    make_schedule(group, start_date=date(2030, 1, 1))
    data: dict[str, Any] = {"starts_at": datetime(2030, 1, 25, 17, tzinfo=UTC), "duration_minutes": 60}
    data.update(fields)
    with pytest.raises(ValidationError) as exc:
        services.session_add_one_off(acting_user=harbor.user("coordinator"), group=group, **data)
    assert field in errors_of(exc)
    key = occurrences(group, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC))[0].key
    with pytest.raises(ValidationError) as exc:
        services.session_move(acting_user=harbor.user("coordinator"), group=group, key=key, **data)
    assert field in errors_of(exc)
    assert not Session.objects.exists()


def test_listeners_run_after_commit_only(harbor: Any, django_capture_on_commit_callbacks: Any) -> None:
    seen: list[Any] = []

    def listener(group: Group) -> None:
        seen.append(group.pk)

    def broken(group: Group) -> None:
        raise RuntimeError("directory down")

    services.register_change_listener(broken)
    services.register_change_listener(listener)
    services.register_change_listener(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            group = create(harbor)
            services.schedule_add(
                acting_user=harbor.user("coordinator"),
                group=group,
                rrule="FREQ=WEEKLY;BYDAY=MO",
                start_date=date(2030, 1, 7),
                start_time=time(18),
            )
        assert seen == [group.pk, group.pk]
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            create(harbor, name="")
        assert seen == [group.pk, group.pk]
    finally:
        services.unregister_change_listener(listener)
        services.unregister_change_listener(broken)
