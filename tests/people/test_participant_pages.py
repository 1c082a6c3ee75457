"""Staff pages for participant records: intake queue, list, intake form, profile, actions, merge,
caseload. Bad input writes nothing; record scope per role; the audited read; query budgets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.models import User
from alongside.audit.models import AuditEvent
from alongside.people import services
from alongside.people.models import (
    ClosedReason,
    Consent,
    ContactRecord,
    Enrolment,
    Participant,
    ParticipantStatus,
    Source,
)
from tests.conftest import PASSWORD
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db


# --- Helpers ------------------------------------------------------------------------------------


def url(name: str, tenant: Any, participant: Participant | None = None) -> str:
    args: list[Any] = [tenant.organisation.slug]
    if participant is not None:
        args.append(participant.pk)
    return reverse(f"people:{name}", args=args)


def person(tenant: Any, **fields: Any) -> Participant:
    fields.setdefault("preferred_name", "Robin")
    with scopes_disabled():
        return services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, **fields
        )


def contact(tenant: Any, participant: Participant, **fields: Any) -> ContactRecord:
    with scopes_disabled():
        return services.contact_record_create(
            acting_user=tenant.user("peer"),
            participant=participant,
            organisation=tenant.organisation,
            service_model=fields.pop("service_model", "mentorship"),
            occurred_at=fields.pop("occurred_at", timezone.now() - timedelta(days=1)),
            duration_minutes=30,
            mode="phone",
            **fields,
        )


def consent(tenant: Any, participant: Participant, purpose: str = "service") -> Consent:
    with scopes_disabled():
        return services.consent_grant(
            acting_user=tenant.user("coordinator"),
            participant=participant,
            purpose=purpose,
            given_by="self",
            method="e_signature",
            signature=participant.preferred_name,
        )


def another_peer(tenant: Any, name: str = "Other Peer") -> User:
    with scopes_disabled():
        user = account_services.user_create(
            acting_user=None,
            email=f"{name.lower().replace(' ', '.')}@{tenant.organisation.slug}.test",
            password=PASSWORD,
            full_name=name,
        )
        account_services.membership_grant(acting_user=None, organisation=tenant.organisation, user=user, role="peer")
    return user


def counts() -> tuple[int, int, int, int, int]:
    """(participants, enrolments, contacts, consents, audit events): a bad request changes none."""
    with scopes_disabled():
        return (
            Participant.objects.count(),
            Enrolment.objects.count(),
            ContactRecord.objects.count(),
            Consent.objects.count(),
            AuditEvent.objects.count(),
        )


def query_count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- The intake form ----------------------------------------------------------------------------


def test_coordinator_adds_a_person_and_lands_on_their_profile(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("participant_create", harbor))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Is it safe to leave a voicemail?" in html and "Not asked yet" in html
    assert "42 CFR Part 2" in html
    response = client.post(
        url("participant_create", harbor),
        {
            "preferred_name": "  Alex  ",
            "languages": ["en", "es"],
            "email": "Alex@Example.org",
            "safe_to_voicemail": "False",
            "safe_to_text": "",
            "looking_for_groups": "on",
            "assigned_peer": str(harbor.user("peer").pk),
            "notes": "Prefers mornings",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        alex = Participant.objects.get(organisation=harbor.organisation, preferred_name="Alex")
        assert AuditEvent.objects.filter(action="participant.create", object_id=str(alex.pk)).count() == 1
    assert response["Location"] == url("participant_detail", harbor, alex)
    assert alex.email == "alex@example.org"
    assert alex.languages == ["en", "es"]
    assert alex.safe_to_voicemail is False and alex.safe_to_text is None and alex.safe_to_email is None
    assert alex.looking_for_groups and not alex.looking_for_mentorship
    assert alex.assigned_peer == harbor.user("peer")
    assert alex.source == Source.STAFF and alex.created_by == harbor.user("coordinator")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"preferred_name": ""}, "Enter the name this person would like us to use."),
        ({"preferred_name": "   "}, "Enter the name this person would like us to use."),
        ({"date_of_birth": "2999-01-01"}, "Enter a date of birth in the past, or leave it empty."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.org, or leave it empty."),
        ({"age_band": "ancient"}, "Select a valid choice."),
    ],
)
def test_intake_form_refuses_bad_input_and_writes_nothing(
    data: dict[str, str], message: str, harbor: Any, login_as: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_create", harbor), {"preferred_name": "Alex", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_intake_form_refuses_a_peer_of_another_organisation(harbor: Any, riverbend: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(
        url("participant_create", harbor), {"preferred_name": "Alex", "assigned_peer": str(riverbend.user("peer").pk)}
    )
    assert response.status_code == 400
    assert "Choose a peer supporter of this organisation." in response.content.decode()
    assert counts() == before


def test_intake_form_offers_only_active_peers(harbor: Any, login_as: Any) -> None:
    html = login_as(harbor.user("coordinator")).get(url("participant_create", harbor)).content.decode()
    assert str(harbor.user("peer").pk) in html
    assert str(harbor.user("supervisor").pk) not in html  # not a peer supporter


def test_possible_duplicate_is_shown_before_anything_is_written(harbor: Any, login_as: Any) -> None:
    existing = person(harbor, preferred_name="Jordan", email="jordan@example.org")
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_create", harbor), {"preferred_name": "Jo", "email": "JORDAN@example.org"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This person may already have a record" in html
    assert url("participant_detail", harbor, existing) in html
    assert "Open the existing record" in html
    assert 'name="create_anyway" value="1"' in html
    assert "Create a new record anyway" in html
    assert counts() == before

    # They chose "create anyway": a second record is made.
    response = client.post(
        url("participant_create", harbor), {"preferred_name": "Jo", "email": "jordan@example.org", "create_anyway": "1"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Participant.objects.filter(organisation=harbor.organisation, email="jordan@example.org").count() == 2


def test_duplicates_of_another_organisation_are_never_suggested(harbor: Any, riverbend: Any, login_as: Any) -> None:
    person(riverbend, preferred_name="Jordan", email="jordan@example.org")
    response = login_as(harbor.user("coordinator")).post(
        url("participant_create", harbor), {"preferred_name": "Jordan", "email": "jordan@example.org"}
    )
    assert response.status_code == 302


def test_only_coordinators_and_admins_add_people(harbor: Any, login_as: Any) -> None:
    for role in ("supervisor", "peer", "referrer", "funder"):
        assert login_as(harbor.user(role)).get(url("participant_create", harbor)).status_code == 403


# --- Editing ------------------------------------------------------------------------------------


def test_edit_form_is_prefilled_and_saves_through_the_service(harbor: Any, login_as: Any) -> None:
    robin = person(harbor, preferred_name="Robin", pronouns="they/them", safe_to_text=True)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("participant_edit", harbor, robin)).content.decode()
    assert 'value="Robin"' in html and 'value="they/them"' in html
    response = client.post(
        url("participant_edit", harbor, robin),
        {"preferred_name": "Robin", "pronouns": "she/her", "safe_to_text": "False", "phone": "(207) 555-0142"},
    )
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.pronouns == "she/her" and robin.safe_to_text is False and robin.phone_digits == "2075550142"
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="participant.update", object_id=str(robin.pk)).count() == 1


def test_edit_refuses_a_future_date_of_birth(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    client = login_as(harbor.user("admin"))
    before = counts()
    response = client.post(
        url("participant_edit", harbor, robin), {"preferred_name": "Robin", "date_of_birth": "2999-01-01"}
    )
    assert response.status_code == 400
    assert "Enter a date of birth in the past, or leave it empty." in response.content.decode()
    assert counts() == before


def test_peers_cannot_edit_even_their_own_people(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    assert login_as(harbor.user("peer")).get(url("participant_edit", harbor, sam)).status_code == 403


# --- Status, peer, programs ---------------------------------------------------------------------


def test_closing_needs_a_reason(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_status", harbor, robin), {"status": "closed", "closed_reason": ""})
    assert response.status_code == 400
    assert "Say why the record is being closed." in response.content.decode()
    assert counts() == before
    response = client.post(url("participant_status", harbor, robin), {"status": "closed", "closed_reason": "goals_met"})
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.status == ParticipantStatus.CLOSED and robin.closed_reason == ClosedReason.GOALS_MET


def test_unknown_status_is_refused(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_status", harbor, robin), {"status": "gone"})
    assert response.status_code == 400
    assert "Choose one of the listed statuses." in response.content.decode()
    assert counts() == before


def test_status_change_is_post_only(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    assert login_as(harbor.user("coordinator")).get(url("participant_status", harbor, robin)).status_code == 405


def test_assign_peer(harbor: Any, riverbend: Any, login_as: Any) -> None:
    robin = person(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_assign_peer", harbor, robin), {"peer": str(riverbend.user("peer").pk)})
    assert response.status_code == 400
    assert "Choose a peer supporter of this organisation." in response.content.decode()
    response = client.post(url("participant_assign_peer", harbor, robin), {"peer": str(harbor.user("admin").pk)})
    assert response.status_code == 400  # an admin is not a peer supporter
    assert counts() == before
    response = client.post(url("participant_assign_peer", harbor, robin), {"peer": str(harbor.user("peer").pk)})
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.assigned_peer == harbor.user("peer")


def test_enrol_in_a_program(harbor: Any, riverbend: Any, login_as: Any) -> None:
    robin = person(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_enrol", harbor, robin), {"program": str(riverbend.program.pk)})
    assert response.status_code == 400
    assert "Choose an active program of this organisation." in response.content.decode()
    assert counts() == before
    response = client.post(url("participant_enrol", harbor, robin), {"program": str(harbor.program.pk)})
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.status == ParticipantStatus.ACTIVE  # taken on: out of the intake queue
    with scopes_disabled():
        assert Enrolment.objects.filter(participant=robin, program=harbor.program).count() == 1


def test_youth_program_age_range_is_shown(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        youth = account_services.program_create(
            acting_user=harbor.user("admin"),
            organisation=harbor.organisation,
            name="Youth Voices",
            offers_groups=True,
            serves_adults=False,
            serves_youth=True,
        )
    today = timezone.localdate()
    adult = person(harbor, date_of_birth=today.replace(year=today.year - 40))
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_enrol", harbor, adult), {"program": youth.pk})
    assert response.status_code == 400
    assert "This youth program is for ages" in response.content.decode()
    assert counts() == before


# --- Merge --------------------------------------------------------------------------------------


def test_merge_moves_history_and_closes_the_duplicate(harbor: Any, login_as: Any) -> None:
    keep = person(harbor, preferred_name="Casey", email="casey@example.org")
    duplicate = person(harbor, preferred_name="Casey B", email="casey@example.org", phone="207-555-0100")
    contact(harbor, duplicate)
    contact(harbor, keep)
    consent(harbor, duplicate, "evaluation")
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("participant_merge", harbor, keep))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Casey B" in html and str(duplicate.pk) in html  # suggested as a possible duplicate
    assert "This cannot be undone" in html

    response = client.post(url("participant_merge", harbor, keep), {"suggested": str(duplicate.pk), "confirm": "on"})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    keep.refresh_from_db()
    assert duplicate.status == ParticipantStatus.CLOSED and duplicate.closed_reason == ClosedReason.MERGED
    assert duplicate.merged_into_id == keep.pk
    assert keep.phone == "207-555-0100"  # filled in from the duplicate
    with scopes_disabled():
        assert ContactRecord.objects.filter(participant=keep).count() == 2
        assert not ContactRecord.objects.filter(participant=duplicate).exists()
        assert Consent.objects.filter(participant=keep, purpose="evaluation").count() == 1
        assert AuditEvent.objects.filter(action="participant.merge", object_id=str(keep.pk)).count() == 1
    # The merged record now answers like a missing one; the kept one shows the history.
    assert client.get(url("participant_detail", harbor, duplicate)).status_code == 404
    profile = client.get(url("participant_detail", harbor, keep)).content.decode()
    assert "Outcome evaluation" in profile


def test_merge_by_record_id(harbor: Any, login_as: Any) -> None:
    keep = person(harbor, preferred_name="Dana")
    other = person(harbor, preferred_name="Someone")
    response = login_as(harbor.user("admin")).post(
        url("participant_merge", harbor, keep), {"other_id": str(other.pk), "confirm": "on"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk


def test_merging_a_record_into_itself_is_refused(harbor: Any, login_as: Any) -> None:
    keep = person(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_merge", harbor, keep), {"other_id": str(keep.pk), "confirm": "on"})
    assert response.status_code == 400
    assert "A record cannot be merged into itself." in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"confirm": "on"}, "Choose the record to merge into this one."),
        ({"other_id": "OTHER"}, "Confirm that both records are the same person."),
    ],
)
def test_merge_needs_a_record_and_a_confirmation(
    data: dict[str, str], message: str, harbor: Any, login_as: Any
) -> None:
    keep = person(harbor)
    other = person(harbor, preferred_name="Other")
    data = {k: (str(other.pk) if v == "OTHER" else v) for k, v in data.items()}
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_merge", harbor, keep), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_merging_another_organisations_record_looks_missing(harbor: Any, riverbend: Any, login_as: Any) -> None:
    keep = person(harbor)
    foreign = tenant_participant(riverbend)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("participant_merge", harbor, keep), {"other_id": str(foreign.pk), "confirm": "on"})
    assert response.status_code == 404
    assert "Sam Sample" not in response.content.decode()
    missing = client.post(
        url("participant_merge", harbor, keep), {"other_id": str(keep.pk)[:-4] + "0000", "confirm": "on"}
    )
    assert missing.status_code == 404
    assert counts() == before


def test_only_coordinators_and_admins_merge(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    for role in ("supervisor", "peer"):
        assert login_as(harbor.user(role)).get(url("participant_merge", harbor, sam)).status_code == 403


# --- The profile --------------------------------------------------------------------------------


def test_profile_view_writes_exactly_one_access_row(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    with scopes_disabled():
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url("participant_detail", harbor, sam))
    assert response.status_code == 200
    with scopes_disabled():
        events = list(AuditEvent.objects.filter(id__gt=last))
    assert [e.action for e in events] == ["participant.view"]
    event = events[0]
    assert event.actor_id == coordinator.pk
    assert event.actor_role == "coordinator"
    assert event.organisation_id == harbor.organisation.pk
    assert event.object_type == "people.participant"
    assert event.object_id == str(sam.pk)


def test_profile_shows_safety_preferences_consent_and_family(harbor: Any, login_as: Any) -> None:
    today = timezone.localdate()
    robin = person(
        harbor,
        preferred_name="Robin",
        pronouns="they/them",
        date_of_birth=today.replace(year=today.year - 30) - timedelta(days=3),
        safe_to_voicemail=False,
        safe_to_email=True,
        notes="Likes walking meetings",
        looking_for_mentorship=True,
    )
    withdrawn = consent(harbor, robin, "research")
    consent(harbor, robin, "service")
    with scopes_disabled():
        services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=withdrawn)
        loved = person(harbor, preferred_name="Jamie")
        services.family_link_create(
            acting_user=harbor.user("coordinator"), family_member=robin, loved_one=loved, relationship="parent"
        )
        services.family_link_create(
            acting_user=harbor.user("coordinator"), family_member=robin, loved_one_name="Kit", relationship="sibling"
        )
        services.guardian_create(acting_user=harbor.user("coordinator"), participant=robin, name="Pat Guardian")
    contact(harbor, robin)
    html = login_as(harbor.user("coordinator")).get(url("participant_detail", harbor, robin)).content.decode()
    assert "Do not leave voicemails." in html
    assert "Not yet asked about texts: ask before texting." in html
    assert "Email is OK." in html
    assert ">30 <" in html  # the age, from the date of birth
    assert "Likes walking meetings" in html
    assert "Receiving peer support (service delivery)" in html
    assert "Withdrawn" in html and "Research" in html
    assert "Jamie" in html and "Kit" in html and "Pat Guardian" in html
    assert "One-on-one mentorship" in html
    assert url("consent_create", harbor, robin) in html
    assert url("contact_create", harbor, robin) in html
    assert "42 CFR part 2 prohibits" not in html
    # Jamie's profile shows the family link from the other side.
    jamie = login_as(harbor.user("coordinator")).get(url("participant_detail", harbor, loved)).content.decode()
    assert "Family members who support them" in jamie and "Robin" in jamie


def test_part2_profile_carries_the_redisclosure_notice(harbor: Any, login_as: Any) -> None:
    robin = person(harbor, part2=True)
    html = login_as(harbor.user("coordinator")).get(url("participant_detail", harbor, robin)).content.decode()
    assert services.PART2_NOTICE in html


def test_profile_shows_the_age_band_when_no_date_of_birth(harbor: Any, login_as: Any) -> None:
    robin = person(harbor, age_band="18_25")
    html = login_as(harbor.user("coordinator")).get(url("participant_detail", harbor, robin)).content.decode()
    assert "18–25" in html


def test_peer_sees_no_management_forms(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    html = login_as(harbor.user("peer")).get(url("participant_detail", harbor, sam)).content.decode()
    assert "Sample notes that must stay private" in html  # the assigned peer may read the notes
    assert url("participant_status", harbor, sam) not in html
    assert url("participant_merge", harbor, sam) not in html
    assert url("contact_create", harbor, sam) in html


def test_the_outsider_gets_404(harbor: Any, outsider: User, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(outsider)
    for name in ("participant_detail", "participant_edit", "participant_merge"):
        response = client.get(url(name, harbor, sam))
        assert response.status_code == 404
        assert "Sam Sample" not in response.content.decode()
    # Under the outsider's own organisation, harbor's id looks missing.
    assert client.get(reverse("people:participant_detail", args=["riverbend", sam.pk])).status_code == 404


# --- Record scope -------------------------------------------------------------------------------


def test_peer_sees_only_their_own_caseload(harbor: Any, login_as: Any) -> None:
    mine = tenant_participant(harbor)
    other_peer = another_peer(harbor)
    theirs = person(harbor, preferred_name="Not Yours", assigned_peer=other_peer)
    client = login_as(harbor.user("peer"))
    assert client.get(url("participant_detail", harbor, mine)).status_code == 200
    assert client.get(url("participant_detail", harbor, theirs)).status_code == 404
    listing = client.get(url("participant_list", harbor)).content.decode()
    assert "Sam Sample" in listing and "Not Yours" not in listing


def test_supervisor_sees_their_teams_people(harbor: Any, login_as: Any) -> None:
    team_member = tenant_participant(harbor)  # assigned to the peer the supervisor supervises
    outside_team = person(harbor, preferred_name="Elsewhere", assigned_peer=another_peer(harbor))
    unassigned = person(harbor, preferred_name="Unassigned")
    client = login_as(harbor.user("supervisor"))
    assert client.get(url("participant_detail", harbor, team_member)).status_code == 200
    assert client.get(url("participant_detail", harbor, outside_team)).status_code == 404
    assert client.get(url("participant_detail", harbor, unassigned)).status_code == 404
    listing = client.get(url("participant_list", harbor)).content.decode()
    assert "Sam Sample" in listing and "Elsewhere" not in listing and "Unassigned" not in listing


@pytest.mark.parametrize("role", ["referrer", "funder"])
def test_referrers_and_funders_have_no_participant_pages(role: str, harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user(role))
    assert client.get(url("participant_list", harbor)).status_code == 403
    assert client.get(url("participant_detail", harbor, sam)).status_code in (403, 404)
    assert client.get(url("intake_queue", harbor)).status_code == 403
    assert client.get(url("caseload", harbor)).status_code == 403


def test_navigation_by_role(harbor: Any, login_as: Any) -> None:
    peer = login_as(harbor.user("peer")).get(f"/app/{harbor.organisation.slug}/").content.decode()
    assert url("caseload", harbor) in peer and url("participant_list", harbor) in peer
    assert url("intake_queue", harbor) not in peer
    coordinator = login_as(harbor.user("coordinator")).get(f"/app/{harbor.organisation.slug}/").content.decode()
    assert url("intake_queue", harbor) in coordinator and url("participant_list", harbor) in coordinator
    assert url("caseload", harbor) not in coordinator
    funder = login_as(harbor.user("funder")).get(f"/app/{harbor.organisation.slug}/").content.decode()
    assert url("participant_list", harbor) not in funder


# --- Lists --------------------------------------------------------------------------------------


def test_intake_queue_longest_waiting_first(harbor: Any, login_as: Any) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3, hours=2), tick=False), scopes_disabled():
        services.self_referral_submit(
            organisation=harbor.organisation, preferred_name="Waited Longest", email="w@example.org"
        )
    with time_machine.travel(now - timedelta(hours=5), tick=False):
        person(harbor, preferred_name="Newer", looking_for_warmline=True)
    taken_on = person(harbor, preferred_name="Taken On")
    with scopes_disabled():
        services.enrolment_start(acting_user=harbor.user("coordinator"), participant=taken_on, program=harbor.program)
    html = login_as(harbor.user("coordinator")).get(url("intake_queue", harbor)).content.decode()
    assert html.index("Waited Longest") < html.index("Newer")
    assert "Taken On" not in html
    assert "Reached out themselves" in html and "Added by staff" in html
    assert "3\xa0days" in html or "3 days" in html
    assert "<time datetime=" in html
    assert "Warm line" in html


def test_intake_queue_is_paginated(harbor: Any, login_as: Any) -> None:
    for i in range(55):
        person(harbor, preferred_name=f"Enquiry {i:02d}")
    client = login_as(harbor.user("coordinator"))
    first = client.get(url("intake_queue", harbor)).content.decode()
    assert "Enquiry 00" in first and "Enquiry 54" not in first and "Page 1 of 2" in first
    second = client.get(url("intake_queue", harbor) + "?page=2").content.decode()
    assert "Enquiry 54" in second


def test_participant_list_filters(harbor: Any, login_as: Any) -> None:
    person(harbor, preferred_name="Quinn")
    active = person(harbor, preferred_name="Riley")
    with scopes_disabled():
        services.enrolment_start(acting_user=harbor.user("coordinator"), participant=active, program=harbor.program)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("participant_list", harbor) + "?status=active").content.decode()
    assert "Riley" in html and "Quinn" not in html
    html = client.get(url("participant_list", harbor) + "?q=quin").content.decode()
    assert "Quinn" in html and "Riley" not in html
    response = client.get(url("participant_list", harbor) + "?status=bogus")
    assert response.status_code == 200
    html = response.content.decode()
    assert "That status is not one we use" in html
    assert "Quinn" in html and "Riley" in html


def test_caseload_lists_the_peers_people_with_their_last_contact(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    contact(harbor, sam, occurred_at=timezone.now() - timedelta(days=2))
    contact(harbor, sam, occurred_at=timezone.now() - timedelta(days=9))
    person(harbor, preferred_name="Someone Else's")
    closed = person(harbor, preferred_name="Closed One", assigned_peer=harbor.user("peer"))
    with scopes_disabled():
        services.participant_set_status(
            acting_user=harbor.user("coordinator"), participant=closed, status="closed", closed_reason="goals_met"
        )
    html = login_as(harbor.user("peer")).get(url("caseload", harbor)).content.decode()
    assert "Sam Sample" in html and "Someone Else" not in html and "Closed One" not in html
    last = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%d")
    assert f'datetime="{last}' in html
    assert "<td>2</td>" in html
    assert url("contact_create", harbor, sam) in html


# --- Query budgets ------------------------------------------------------------------------------


def test_intake_queue_query_count_does_not_grow(harbor: Any, login_as: Any, django_assert_max_num_queries: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    for i in range(5):
        person(harbor, preferred_name=f"Few {i}")
    few = query_count(client, url("intake_queue", harbor))
    for i in range(35):
        person(harbor, preferred_name=f"Many {i}")
    with django_assert_max_num_queries(few):
        assert client.get(url("intake_queue", harbor)).status_code == 200


def test_participant_list_query_count_does_not_grow(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    for i in range(5):
        person(harbor, preferred_name=f"Few {i}", assigned_peer=harbor.user("peer"))
    few = query_count(client, url("participant_list", harbor))
    for i in range(35):
        person(harbor, preferred_name=f"Many {i}", assigned_peer=another_peer(harbor, f"Peer {i}"))
    with django_assert_max_num_queries(few):
        assert client.get(url("participant_list", harbor)).status_code == 200


def test_profile_query_count_does_not_grow(harbor: Any, login_as: Any, django_assert_max_num_queries: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    sam = tenant_participant(harbor)
    for _ in range(3):
        contact(harbor, sam)
        consent(harbor, sam, "evaluation")
    few = query_count(client, url("participant_detail", harbor, sam))
    with scopes_disabled():
        consents = list(Consent.objects.filter(participant=sam))
    for c in consents[:2]:
        with scopes_disabled():
            services.consent_withdraw(acting_user=harbor.user("admin"), consent=c)
    for _ in range(27):
        contact(harbor, sam)
        consent(harbor, sam, "evaluation")
    with django_assert_max_num_queries(few):
        assert client.get(url("participant_detail", harbor, sam)).status_code == 200


def test_caseload_query_count_does_not_grow(harbor: Any, login_as: Any, django_assert_max_num_queries: Any) -> None:
    client = login_as(harbor.user("peer"))
    for i in range(3):
        contact(harbor, person(harbor, preferred_name=f"Few {i}", assigned_peer=harbor.user("peer")))
    few = query_count(client, url("caseload", harbor))
    for i in range(20):
        contact(harbor, person(harbor, preferred_name=f"Many {i}", assigned_peer=harbor.user("peer")))
    with django_assert_max_num_queries(few):
        assert client.get(url("caseload", harbor)).status_code == 200
