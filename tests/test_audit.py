"""The audit log: exact rows, no content, append-only, and a chain that shows tampering."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from alongside.accounts.models import Program
from alongside.audit.models import AuditChainHead, AuditEvent
from alongside.audit.services import record, verify

pytestmark = pytest.mark.django_db(transaction=False)

AUDIT_FIELDS = ("actor_id", "actor_role", "organisation_id", "action", "object_type", "object_id")


def rows_after(last_id: int) -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.filter(id__gt=last_id).order_by("id").values_list(*AUDIT_FIELDS))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_program_edit_writes_exactly_one_row_without_content(harbor: Any, login_as: Any) -> None:
    admin = harbor.user("admin")
    client = login_as(admin)
    start = last_id()
    response = client.post(
        f"/app/harbor/programs/{harbor.program.pk}/edit/",
        {
            "name": "Secret Renamed Program",
            "description": "very private words",
            "offers_groups": "on",
            "serves_adults": "on",
        },
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Program.objects.get(pk=harbor.program.pk).name == "Secret Renamed Program"
    assert rows_after(start) == [
        (admin.pk, "admin", harbor.organisation.pk, "program.update", "accounts.program", str(harbor.program.pk))
    ]
    event = AuditEvent.objects.get(id__gt=start)
    assert event.ip == "198.51.100.23"
    assert event.request_id == response["X-Request-ID"]
    for value in event.payload().values():
        assert "Secret" not in str(value) and "private" not in str(value)


def test_failed_write_leaves_no_audit_row(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    start = last_id()
    response = client.post(f"/app/harbor/programs/{harbor.program.pk}/edit/", {"name": ""})
    assert response.status_code == 400
    assert rows_after(start) == []


def test_sign_in_events(harbor: Any, client: Any) -> None:
    start = last_id()
    client.post("/accounts/login/", {"username": harbor.user("peer").email, "password": "wrong wrong wrong"})
    client.post("/accounts/login/", {"username": harbor.user("peer").email, "password": "correct horse battery staple"})
    actions = [(r[0], r[3]) for r in rows_after(start)]
    assert actions == [(None, "user.login_failed"), (harbor.user("peer").pk, "user.login")]
    # The email typed at a failed sign-in is not recorded anywhere.
    assert not AuditEvent.objects.filter(object_id__contains="@").exists()


def test_events_are_append_only_in_code_and_in_the_database(harbor: Any) -> None:
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    event.action = "tampered"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    for sql in (
        f"UPDATE audit_auditevent SET action = 'x' WHERE id = {event.id}",  # noqa: S608
        f"DELETE FROM audit_auditevent WHERE id = {event.id}",  # noqa: S608
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert list(verify()) == []


def _drop_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_verify_names_the_first_altered_entry(harbor: Any) -> None:
    call_command("audit", "verify", stdout=StringIO())
    victim = AuditEvent.objects.filter(organisation_id=harbor.organisation.pk).order_by("seq")[2]
    _drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_role = 'coordinator' WHERE id = %s", [victim.id])
    problems = list(verify())
    assert problems and problems[0].event_id == victim.id and "altered" in problems[0].reason
    with pytest.raises(CommandError, match=f"id={victim.id}"):
        call_command("audit", "verify", stdout=StringIO(), stderr=StringIO())


def test_verify_notices_a_removed_entry(harbor: Any) -> None:
    events = list(AuditEvent.objects.filter(organisation_id=harbor.organisation.pk).order_by("seq"))
    _drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    problems = list(verify())
    assert problems[0].event_id == events[2].id and "missing" in problems[0].reason


def test_verify_notices_entries_removed_from_the_end(harbor: Any) -> None:
    newest = AuditEvent.objects.filter(organisation_id=harbor.organisation.pk).order_by("-seq").first()
    assert newest is not None
    _drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [newest.id])
    problems = list(verify())
    assert problems and "removed from the end" in problems[0].reason


def test_chains_are_per_organisation(harbor: Any, riverbend: Any) -> None:
    heads = {h.chain: h.seq for h in AuditChainHead.objects.all()}
    assert str(harbor.organisation.pk) in heads and str(riverbend.organisation.pk) in heads
    harbor_seqs = list(
        AuditEvent.objects.filter(chain=str(harbor.organisation.pk)).order_by("id").values_list("seq", flat=True)
    )
    assert harbor_seqs == list(range(1, len(harbor_seqs) + 1))


def test_audit_show_json(harbor: Any) -> None:
    out = StringIO()
    call_command("audit", "show", "--last", "3", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("{") for line in lines)
    with pytest.raises(CommandError):
        call_command("audit", "show", "--last", "0", stdout=StringIO())


def test_record_runs_in_the_callers_transaction(harbor: Any) -> None:
    start = last_id()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(harbor.user("admin"), "program.view", harbor.program)
        1 / 0  # noqa: B018
    assert rows_after(start) == []


def test_admin_sees_who_viewed_or_changed_a_record(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    client.post(
        f"/app/harbor/programs/{harbor.program.pk}/edit/",
        {"name": "Renamed", "offers_groups": "on", "serves_adults": "on"},
    )
    page = client.get(f"/app/harbor/access-log/?object={harbor.program.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "program.update" in text and "program.create" in text
    assert harbor.user("admin").display_name in text
    bad = client.get("/app/harbor/access-log/?object=not-a-uuid")
    assert bad.status_code == 200 and "Enter a record identifier" in bad.content.decode()
    # Another organisation's events never show.
    with scopes_disabled():
        foreign = Program.objects.exclude(organisation=harbor.organisation).first()
    if foreign is not None:
        assert str(foreign.pk) not in client.get("/app/harbor/access-log/").content.decode()


def test_access_log_page_has_a_constant_query_count(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_as(harbor.user("admin"))
    client.get("/app/harbor/access-log/")
    with CaptureQueriesContext(connection) as few:
        client.get("/app/harbor/access-log/")
    for user in harbor.users.values():
        for _ in range(8):
            record(user, "program.view", harbor.program)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/app/harbor/access-log/").status_code == 200
    assert len(few) <= 16
    # Viewing the log is itself recorded.
    assert AuditEvent.objects.filter(action="audit.view_log", actor_id=harbor.user("admin").pk).count() == 3


def test_audit_show_since_id_ships_without_gaps(harbor: Any) -> None:
    import json

    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    out = StringIO()
    call_command("audit", "show", "--since-id", str(ids[1]), "--last", "3", "--json", stdout=out)
    shipped = [json.loads(line)["id"] for line in out.getvalue().splitlines()]
    assert shipped == ids[2:5]
