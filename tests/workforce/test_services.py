"""Wellbeing check-ins: the service and its checks (bad input writes nothing), the note encrypted in
the raw column, exact audit rows without content, the 14-day "latest shared" rule, stopping
sharing, the supervisor's team (only their team, only the shared capacity), and matching's penalty
that lowers a stretched peer by the weight without ever being said."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.audit.models import AuditEvent
from alongside.matching import selectors as matching_selectors
from alongside.matching.models import MatchWeights
from alongside.workforce import selectors, services
from alongside.workforce.models import WellbeingCheckIn
from tests.matching.helpers import make_peer, make_request
from tests.workforce.helpers import checkin, raw_note, staff

pytestmark = pytest.mark.django_db

NOTE = "Couldn't sleep after the Tuesday call"


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def rows_since(mark: int) -> list[tuple[str, str, str]]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("action", "object_type", "object_id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- Writing a check-in ---------------------------------------------------------------------------


def test_a_checkin_is_the_writers_own_with_an_audit_row_and_its_note_encrypted(harbor):
    peer = harbor.user("peer")
    mark = last_id()
    made = services.checkin_create(
        acting_user=peer, organisation=harbor.organisation, capacity="full", mood="2", note=f"  {NOTE}  ", shared=True
    )
    made.refresh_from_db()
    assert (made.user, made.organisation, made.capacity, made.mood, made.note, made.shared) == (
        peer,
        harbor.organisation,
        "full",
        2,
        NOTE,
        True,
    )
    stored = raw_note(made)
    assert stored.startswith("gAAAA") and "Tuesday" not in stored
    assert rows_since(mark) == [("wellbeing_checkin.create", "workforce.wellbeingcheckin", str(made.pk))]
    event = AuditEvent.objects.get(action="wellbeing_checkin.create")
    assert event.actor_id == peer.pk and event.actor_role == "peer"
    assert event.organisation_id == harbor.organisation.pk
    assert not any("Tuesday" in str(value) or value == "full" for value in vars(event).values())


def test_mood_and_note_are_optional_and_sharing_is_off_unless_asked(harbor):
    made = services.checkin_create(
        acting_user=harbor.user("coordinator"), organisation=harbor.organisation, capacity="room"
    )
    assert (made.mood, made.note, made.shared) == (None, "", False)


BAD_INPUT = [
    ({"capacity": ""}, "capacity"),
    ({"capacity": "exhausted"}, "capacity"),
    ({"capacity": None}, "capacity"),
    ({"mood": 0}, "mood"),
    ({"mood": 6}, "mood"),
    ({"mood": "three"}, "mood"),
    ({"mood": True}, "mood"),
    ({"mood": 2.5}, "mood"),
    ({"note": "x" * 2001}, "note"),
    ({"note": 42}, "note"),
    ({"shared": "yes"}, "shared"),
]


@pytest.mark.parametrize(("fields", "key"), BAD_INPUT, ids=[f"{k}={str(f[k])[:10]}" for f, k in BAD_INPUT])
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(harbor, fields, key):
    mark = last_id()
    data: dict[str, Any] = {"capacity": "room", **fields}
    with pytest.raises(ValidationError) as caught:
        services.checkin_create(acting_user=harbor.user("peer"), organisation=harbor.organisation, **data)
    assert set(caught.value.message_dict) == {key}
    assert WellbeingCheckIn.objects.count() == 0 and rows_since(mark) == []


@pytest.mark.parametrize("who", ["referrer", "funder", "outsider", "nobody"])
def test_only_staff_of_the_organisation_check_in_there(harbor, riverbend, who):
    others = {"outsider": riverbend.user("admin"), "nobody": None}
    user = others[who] if who in others else harbor.user(who)
    with pytest.raises(ValidationError):
        services.checkin_create(acting_user=user, organisation=harbor.organisation, capacity="room")
    assert WellbeingCheckIn.objects.count() == 0


# --- The signal: the latest shared check-in within 14 days -----------------------------------------


def test_the_signal_is_the_latest_shared_checkin_within_fourteen_days(harbor, riverbend):
    ana, ben, cai, dee = (staff(harbor, name) for name in ("Ana", "Ben", "Cai", "Dee"))
    # Ana: shared "room", then a newer answer she kept to herself. The private one changes nothing.
    checkin(harbor, ana, "room", shared=True, days_ago=5)
    checkin(harbor, ana, "stretched", shared=False, days_ago=1, note=NOTE)
    # Ben: shared "stretched" three weeks ago: too old to count.
    checkin(harbor, ben, "stretched", shared=True, days_ago=21)
    # Cai: shared "stretched", then shared "room": the newer shared answer counts.
    checkin(harbor, cai, "stretched", shared=True, days_ago=3)
    newest = checkin(harbor, cai, "room", shared=True, days_ago=1)
    # Dee: shared "stretched" yesterday.
    checkin(harbor, dee, "stretched", shared=True, days_ago=1)
    # Riverbend's peer is stretched too, but in another organisation.
    checkin(riverbend, riverbend.user("peer"), "stretched", shared=True)

    with CaptureQueriesContext(connection) as ctx:
        signals = selectors.latest_shared_signals(harbor.organisation, [ana.pk, ben.pk, cai.pk, dee.pk])
    assert len(ctx.captured_queries) == 1
    assert {user_id: c.capacity for user_id, c in signals.items()} == {
        ana.pk: "room",
        cai.pk: "room",
        dee.pk: "stretched",
    }
    assert signals[cai.pk].pk == newest.pk
    assert "note" in signals[ana.pk].get_deferred_fields() and "mood" in signals[ana.pk].get_deferred_fields()
    assert selectors.latest_shared_signals(harbor.organisation, [dee.pk]).keys() == {dee.pk}
    assert selectors.latest_shared_signals(harbor.organisation, []) == {}

    with CaptureQueriesContext(connection) as ctx:
        assert selectors.stretched_peer_ids(harbor.organisation) == {dee.pk}
    assert len(ctx.captured_queries) == 1
    assert selectors.stretched_peer_ids(riverbend.organisation) == {riverbend.user("peer").pk}


def test_stopping_sharing_takes_the_signal_back_once_and_only_by_its_writer(harbor):
    peer = harbor.user("peer")
    older = checkin(harbor, peer, "full", shared=True, days_ago=4)
    shared = checkin(harbor, peer, "stretched", shared=True, days_ago=1)
    assert selectors.stretched_peer_ids(harbor.organisation) == {peer.pk}
    with pytest.raises(ValidationError):
        services.checkin_stop_sharing(acting_user=harbor.user("supervisor"), checkin=shared)
    mark = last_id()
    services.checkin_stop_sharing(acting_user=peer, checkin=shared)
    shared.refresh_from_db()
    assert not shared.shared and shared.unshared_at is not None
    assert rows_since(mark) == [("wellbeing_checkin.stop_sharing", "workforce.wellbeingcheckin", str(shared.pk))]
    # What the writer shared before is what others see now.
    assert selectors.stretched_peer_ids(harbor.organisation) == set()
    assert selectors.latest_shared_signals(harbor.organisation, [peer.pk])[peer.pk].pk == older.pk
    mark = last_id()
    services.checkin_stop_sharing(acting_user=peer, checkin=shared)  # again: nothing to change
    assert rows_since(mark) == []


# --- The supervisor's team -------------------------------------------------------------------------


def test_a_supervisor_sees_only_their_team_and_only_the_shared_capacity(harbor):
    peer = harbor.user("peer")  # linked to harbor's supervisor in the fixture
    other = staff(harbor, "Uma")  # nobody supervises her
    ended = staff(harbor, "Eve")
    link = account_services.supervision_link_create(
        acting_user=harbor.user("admin"),
        organisation=harbor.organisation,
        supervisor=harbor.user("supervisor"),
        peer=ended,
    )
    account_services.supervision_link_end(acting_user=harbor.user("admin"), link=link)
    checkin(harbor, peer, "stretched", shared=True, days_ago=2, mood=1, note=NOTE)
    checkin(harbor, peer, "room", shared=False, days_ago=1)
    checkin(harbor, other, "stretched", shared=True)
    checkin(harbor, ended, "stretched", shared=True)

    rows = selectors.team_signals(harbor.organisation, harbor.user("supervisor"))
    assert [(r.person, r.checkin.capacity if r.checkin else None) for r in rows] == [(peer, "stretched")]
    assert {"note", "mood"} <= rows[0].checkin.get_deferred_fields()
    # A peer supervises nobody: they see no one's signal.
    assert selectors.team_signals(harbor.organisation, peer) == []


def test_someone_in_the_team_with_nothing_shared_recently_shows_no_signal(harbor):
    checkin(harbor, harbor.user("peer"), "stretched", shared=True, days_ago=15)
    [row] = selectors.team_signals(harbor.organisation, harbor.user("supervisor"))
    assert row.person == harbor.user("peer") and row.checkin is None


# --- Matching ----------------------------------------------------------------------------------------


def test_a_shared_stretched_signal_lowers_the_peer_by_the_weight_and_is_never_said(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    request = make_request(harbor)
    plain = {s.peer: s for s in matching_selectors.suggestions_for(request)}
    assert plain[ana].points == plain[ben].points

    checkin(harbor, ana, "stretched", shared=False)  # private: changes nothing
    assert {s.peer: s.points for s in matching_selectors.suggestions_for(request)} == {
        ana: plain[ana].points,
        ben: plain[ben].points,
    }

    checkin(harbor, ana, "stretched", shared=True)
    found = matching_selectors.suggestions_for(request)
    assert [s.peer for s in found] == [ben, ana]
    lowered = {s.peer: s for s in found}
    weight = MatchWeights(organisation=harbor.organisation).wellbeing_stretched
    assert lowered[ana].points == pytest.approx(plain[ana].points - weight)
    assert lowered[ben].points == plain[ben].points
    # What is said about Ana is exactly what was said before.
    assert lowered[ana].reasons == plain[ana].reasons
    assert lowered[ana].explanation == plain[ana].explanation
    for word in ("stretch", "wellbeing", "room"):
        assert word not in lowered[ana].explanation.lower()
    # A caller that passes the signal itself is obeyed (the benchmark and property tests do).
    assert {s.peer: s.points for s in matching_selectors.suggestions_for(request, stretched=())}[ana] == plain[
        ana
    ].points


def test_the_batch_proposal_uses_the_signal_too_in_one_more_query(harbor):
    ana = make_peer(harbor, "Ana", caseload_limit=1)
    ben = make_peer(harbor, "Ben", caseload_limit=1)
    request = make_request(harbor)
    checkin(harbor, ana, "stretched", shared=True)

    def run(**kwargs: Any) -> tuple[Any, int]:
        with CaptureQueriesContext(connection) as ctx:
            proposal = matching_selectors.batch_proposal(harbor.organisation, harbor.program, **kwargs)
        return proposal, len(ctx.captured_queries)

    proposal, queries = run()
    [pair] = proposal.assignment.proposals
    assert (pair.request.key, pair.peer.key) == (str(request.pk), str(ben.pk))
    ignored, explicit_queries = run(stretched=())
    assert queries == explicit_queries + 1
    assert {p.peer.key for p in ignored.assignment.proposals} <= {str(ana.pk), str(ben.pk)}

    with CaptureQueriesContext(connection) as ctx:
        matching_selectors.suggestions_for(request)
    default = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        matching_selectors.suggestions_for(request, stretched=())
    assert default == len(ctx.captured_queries) + 1
