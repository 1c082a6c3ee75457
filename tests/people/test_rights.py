"""Participants' rights for staff: anonymisation, erasure requests that respect retention, restricted
records, the record's access history, and the person's private link (making and switching it off)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.models import hash_token
from alongside.audit.models import AuditEvent
from alongside.core.crypto import decrypt
from alongside.people import referrals, rights, selectors, services
from alongside.people.access import visible_participants
from alongside.people.models import (
    Consent,
    ConsentDocument,
    ContactRecord,
    Enrolment,
    FamilyLink,
    Guardian,
    LivedExperienceTerm,
    Participant,
    ParticipantAccessLink,
    ParticipantExperience,
    Referral,
)
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

SECRET_WORDS = ["Robin", "Robinson", "robin@example.org", "555-0100", "04101", "wheelchair", "private words"]


def audit_rows(participant: Participant, *actions: str) -> list[tuple[str, Any, str]]:
    rows = AuditEvent.objects.filter(object_id=str(participant.pk), action__in=actions).order_by("id")
    return [(e.action, e.actor_id, e.actor_role) for e in rows]


def raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def contact(tenant: Any, participant: Participant, notes: str = "Talked about work", **kwargs: Any) -> ContactRecord:
    kwargs.setdefault("occurred_at", timezone.now() - timedelta(hours=1))
    return services.contact_record_create(
        acting_user=tenant.user("peer"),
        participant=participant,
        organisation=tenant.organisation,
        service_model="mentorship",
        duration_minutes=30,
        mode="phone",
        notes=notes,
        topics=["work"],
        **kwargs,
    )


def full_record(tenant: Any) -> Participant:
    """A person with something in every field and every related table."""
    coordinator = tenant.user("coordinator")
    org = tenant.organisation
    robin = services.participant_create(
        acting_user=coordinator,
        organisation=org,
        preferred_name="Robin",
        legal_name="Robin Robinson",
        pronouns="they/them",
        date_of_birth=date(2011, 6, 1),
        languages=["en", "es"],
        email="robin@example.org",
        phone="207-555-0100",
        preferred_contact="text",
        safe_to_voicemail=False,
        safe_to_text=True,
        safe_to_email=True,
        postcode="04101",
        accessibility_needs="Uses a wheelchair",
        looking_for_mentorship=True,
        notes="Some private words",
        assigned_peer=tenant.user("peer"),
    )
    services.enrolment_start(acting_user=coordinator, participant=robin, program=tenant.program)
    contact(tenant, robin, notes="Robin shared private words")
    guardian = services.guardian_create(
        acting_user=coordinator, participant=robin, name="Pat Robinson", phone="207-555-0199", email="pat@example.org"
    )
    services.consent_grant(
        acting_user=coordinator,
        participant=robin,
        purpose="service",
        given_by="guardian",
        guardian=guardian,
        method="verbal",
        witness="Dana Witness",
    )
    consent = services.consent_grant(
        acting_user=coordinator,
        participant=robin,
        purpose="research",
        given_by="guardian",
        guardian=guardian,
        method="e_signature",
        signature="Pat Robinson",
    )
    ConsentDocument.objects.create(
        organisation=org,
        participant=robin,
        consent=consent,
        filename="form.png",
        content_type="image/png",
        size=4,
        sha256=hashlib.sha256(b"scan").hexdigest(),
        content=base64.b64encode(b"scan").decode(),
        uploaded_by=coordinator,
        uploaded_at=timezone.now(),
    )
    services.family_link_create(
        acting_user=coordinator, family_member=robin, relationship="sibling", loved_one_name="Jamie"
    )
    other = services.participant_create(acting_user=coordinator, organisation=org, preferred_name="Alex")
    services.family_link_create(acting_user=coordinator, family_member=robin, relationship="friend", loved_one=other)
    services.vocabulary_ensure_defaults(acting_user=coordinator, organisation=org)
    term = LivedExperienceTerm.objects.filter(organisation=org).first()
    assert term is not None
    services.participant_set_experiences(acting_user=coordinator, participant=robin, selections={term: True})
    referrals.referral_create(
        acting_user=coordinator,
        organisation=org,
        participant=robin,
        reason="Discharged after a hard week",
        urgency="soon",
        consent_attested=True,
    )
    rights.access_link_create(acting_user=coordinator, participant=robin)
    robin.refresh_from_db()
    return robin


# --- Anonymisation ------------------------------------------------------------------------------


@time_machine.travel("2026-03-10 12:00:00+00:00", tick=False)
def test_anonymisation_removes_identity_and_content_and_keeps_the_counts(harbor: Any) -> None:
    with scopes_disabled():
        robin = full_record(harbor)
        admin = harbor.user("admin")
        counts_before = (
            ContactRecord.objects.filter(participant=robin).count(),
            Consent.objects.filter(participant=robin).count(),
            Enrolment.objects.filter(participant=robin).count(),
            Referral.objects.filter(participant=robin).count(),
            Guardian.objects.filter(participant=robin).count(),
            FamilyLink.objects.filter(family_member=robin).count(),
        )

        assert rights.participant_anonymise(acting_user=admin, participant=robin) is True

        robin.refresh_from_db()
        assert robin.preferred_name == rights.ANONYMISED_NAME
        for name in ("legal_name", "pronouns", "email", "phone", "phone_digits", "postcode", "accessibility_needs"):
            assert getattr(robin, name) == "", name
        assert (robin.notes, robin.preferred_contact, robin.date_of_birth) == ("", "", None)
        assert (robin.safe_to_voicemail, robin.safe_to_text, robin.safe_to_email) == (None, None, None)
        # 14 on the day it closed (today): the age band the date of birth implied.
        assert robin.age_band == "13_17"
        # Kept for counts: languages and what they were looking for.
        assert robin.languages == ["en", "es"] and robin.looking_for_mentorship is True
        assert (robin.status, robin.closed_reason) == ("closed", "other")
        assert robin.anonymised_at == timezone.now() == robin.closed_at

        # The same rows, for counts; what named anyone or said anything private is gone.
        assert counts_before == (
            ContactRecord.objects.filter(participant=robin).count(),
            Consent.objects.filter(participant=robin).count(),
            Enrolment.objects.filter(participant=robin).count(),
            Referral.objects.filter(participant=robin).count(),
            Guardian.objects.filter(participant=robin).count(),
            FamilyLink.objects.filter(family_member=robin).count(),
        )
        contact_row = ContactRecord.objects.get(participant=robin)
        assert (contact_row.notes, contact_row.topics, contact_row.duration_minutes) == ("", ["work"], 30)
        assert contact_row.notes_cleared_at == timezone.now()
        assert Referral.objects.get(participant=robin).reason == ""
        assert list(Guardian.objects.filter(participant=robin).values_list("name", "phone", "email")) == [("", "", "")]
        assert sorted(FamilyLink.objects.filter(family_member=robin).values_list("relationship", "loved_one_name")) == [
            ("friend", ""),
            ("sibling", rights.REMOVED),
        ]
        consents = {c.method: c for c in Consent.objects.filter(participant=robin)}
        assert (consents["verbal"].witness, consents["verbal"].signature) == (rights.REMOVED, "")
        assert (consents["e_signature"].signature, consents["e_signature"].purpose) == ("", "research")
        assert not ConsentDocument.objects.filter(participant=robin).exists()
        assert not ParticipantExperience.objects.filter(participant=robin).exists()
        assert not Enrolment.objects.filter(participant=robin, status="active").exists()
        assert not ParticipantAccessLink.objects.filter(participant=robin, revoked_at__isnull=True).exists()

        # The raw columns of the encrypted fields hold ciphertext of nothing.
        for table, pk in (
            ("people_participant", robin.pk),
            ("people_contactrecord", contact_row.pk),
        ):
            stored = raw(table, "notes", pk)
            assert stored.startswith("gAAAA") and decrypt(stored) == ""
        assert decrypt(raw("people_referral", "reason", Referral.objects.get(participant=robin).pk)) == ""
        # Nothing that named Robin is left anywhere in their rows.
        dump = json.dumps(
            [
                list(Participant.objects.filter(pk=robin.pk).values()),
                list(Guardian.objects.filter(participant=robin).values()),
                list(Consent.objects.filter(participant=robin).values()),
                list(FamilyLink.objects.filter(family_member=robin).values()),
                list(ContactRecord.objects.filter(participant=robin).values()),
                list(Referral.objects.filter(participant=robin).values()),
            ],
            default=str,
        )
        for word in [*SECRET_WORDS, "Pat Robinson", "Dana Witness", "Jamie", "hard week"]:
            assert word not in dump, word

        assert audit_rows(robin, "participant.anonymise") == [("participant.anonymise", admin.pk, "admin")]
        # Idempotent: nothing changes and nothing more is written the second time.
        last = AuditEvent.objects.order_by("-id").first()
        assert rights.participant_anonymise(acting_user=admin, participant=robin) is False
        assert AuditEvent.objects.order_by("-id").first() == last


def test_anonymisation_takes_records_merged_into_it_too(harbor: Any) -> None:
    with scopes_disabled():
        coordinator = harbor.user("coordinator")
        keep = services.participant_create(
            acting_user=coordinator, organisation=harbor.organisation, preferred_name="Robin", email="robin@example.org"
        )
        duplicate = services.participant_create(
            acting_user=coordinator, organisation=harbor.organisation, preferred_name="Rob", phone="207-555-0100"
        )
        services.participant_merge(acting_user=coordinator, keep=keep, duplicate=duplicate)
        rights.participant_anonymise(acting_user=None, participant=keep)
        duplicate.refresh_from_db()
        assert (duplicate.preferred_name, duplicate.phone, duplicate.anonymised_at is not None) == (
            rights.ANONYMISED_NAME,
            "",
            True,
        )
        assert audit_rows(duplicate, "participant.anonymise") == [("participant.anonymise", None, "system")]


def test_age_band_is_kept_when_there_is_no_date_of_birth(harbor: Any) -> None:
    with scopes_disabled():
        person = services.participant_create(
            acting_user=harbor.user("coordinator"),
            organisation=harbor.organisation,
            preferred_name="Sky",
            age_band="65_plus",
        )
        rights.participant_anonymise(acting_user=None, participant=person)
        assert person.age_band == "65_plus"
    assert [rights.age_band_for(a) for a in (12, 13, 17, 18, 25, 26, 64, 65)] == [
        "under_13",
        "13_17",
        "13_17",
        "18_25",
        "18_25",
        "26_64",
        "26_64",
        "65_plus",
    ]


# --- Erasure requests ---------------------------------------------------------------------------


def test_erasure_request_restricts_until_the_retention_period_ends(harbor: Any) -> None:
    admin = harbor.user("admin")
    with scopes_disabled():
        sam = tenant_participant(harbor)
        services.enrolment_start(acting_user=admin, participant=sam, program=harbor.program)
        link, _token = rights.access_link_create(acting_user=admin, participant=sam)
        now = timezone.now()
        outcome = rights.participant_erasure_request(acting_user=admin, participant=sam, now=now)
        assert outcome.anonymised is False
        assert outcome.anonymise_on == now + timedelta(days=harbor.organisation.retention_closed_records_days)
        sam.refresh_from_db()
        assert (sam.status, sam.closed_reason, sam.closed_at, sam.erasure_requested_at) == (
            "closed",
            "chose_to_stop",
            now,
            now,
        )
        assert sam.preferred_name == "Sam Sample" and sam.anonymised_at is None
        assert not Enrolment.objects.filter(participant=sam, status="active").exists()
        link.refresh_from_db()
        assert link.revoked_at == now
        assert audit_rows(
            sam, "participant.erasure_request", "participant.anonymise", "participant.erasure_override"
        ) == [("participant.erasure_request", admin.pk, "admin")]
        # Asking again changes nothing and writes nothing.
        again = rights.participant_erasure_request(acting_user=admin, participant=sam)
        assert again.anonymise_on == outcome.anonymise_on
        assert len(audit_rows(sam, "participant.erasure_request")) == 1

    # The retention run anonymises it on the day the period ends.
    with scopes_disabled(), time_machine.travel(outcome.anonymise_on, tick=False):
        summary = rights.retention_run(harbor.organisation)
        assert summary.records_anonymised == 1
        sam.refresh_from_db()
        assert sam.preferred_name == rights.ANONYMISED_NAME


def test_erasure_request_anonymises_at_once_when_retention_no_longer_requires_the_record(harbor: Any) -> None:
    coordinator = harbor.user("coordinator")
    days = harbor.organisation.retention_closed_records_days
    with scopes_disabled():
        sam = tenant_participant(harbor)
        with time_machine.travel(timezone.now() - timedelta(days=days + 1)):
            services.participant_set_status(
                acting_user=coordinator, participant=sam, status="closed", closed_reason="goals_met"
            )
        outcome = rights.participant_erasure_request(acting_user=coordinator, participant=sam)
        assert (outcome.anonymised, outcome.anonymise_on) == (True, None)
        sam.refresh_from_db()
        # The reason it closed for is kept; the name is not.
        assert (sam.preferred_name, sam.closed_reason) == (rights.ANONYMISED_NAME, "goals_met")
        assert [a for a, *_ in audit_rows(sam, "participant.erasure_request", "participant.anonymise")] == [
            "participant.erasure_request",
            "participant.anonymise",
        ]


def test_override_needs_an_admin(harbor: Any) -> None:
    with scopes_disabled():
        sam = tenant_participant(harbor)
        with pytest.raises(ValidationError) as refused:
            rights.participant_erasure_request(
                acting_user=harbor.user("coordinator"), participant=sam, override_retention=True
            )
        assert "override_retention" in refused.value.message_dict
        sam.refresh_from_db()
        assert sam.erasure_requested_at is None and sam.status != "closed"

        admin = harbor.user("admin")
        outcome = rights.participant_erasure_request(acting_user=admin, participant=sam, override_retention=True)
        assert outcome.anonymised is True
        assert audit_rows(
            sam, "participant.erasure_request", "participant.erasure_override", "participant.anonymise"
        ) == [
            ("participant.erasure_request", admin.pk, "admin"),
            ("participant.erasure_override", admin.pk, "admin"),
            ("participant.anonymise", admin.pk, "admin"),
        ]


def test_restricted_records_refuse_new_writes(harbor: Any) -> None:
    admin = harbor.user("admin")
    with scopes_disabled():
        sam = tenant_participant(harbor)
        rights.participant_erasure_request(acting_user=admin, participant=sam)
        sam.refresh_from_db()
        before = (
            ContactRecord.objects.count(),
            Consent.objects.count(),
            Enrolment.objects.count(),
            Referral.objects.count(),
        )
        attempts = [
            lambda: contact(harbor, sam),
            lambda: services.consent_grant(
                acting_user=admin, participant=sam, purpose="service", given_by="self", method="written"
            ),
            lambda: services.enrolment_start(acting_user=admin, participant=sam, program=harbor.program),
            lambda: referrals.referral_create(
                acting_user=admin,
                organisation=harbor.organisation,
                participant=sam,
                reason="x",
                urgency="routine",
                consent_attested=True,
            ),
            lambda: rights.access_link_create(acting_user=admin, participant=sam),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError) as refused:
                attempt()
            assert "asked for" in " ".join(refused.value.message_dict["participant"])
        after = (
            ContactRecord.objects.count(),
            Consent.objects.count(),
            Enrolment.objects.count(),
            Referral.objects.count(),
        )
        assert before == after


def test_restricted_records_leave_the_queue_and_caseload(harbor: Any) -> None:
    from alongside.accounts.access import OrgContext

    def ctx(role: str) -> OrgContext:
        return OrgContext(harbor.organisation, harbor.user(role), frozenset({role}))

    with scopes_disabled():
        sam = tenant_participant(harbor)
        assert sam in selectors.intake_queue(ctx("coordinator"))
        assert sam in selectors.caseload(ctx("peer"))
        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=sam)
        assert sam not in selectors.intake_queue(ctx("coordinator"))
        assert sam not in selectors.caseload(ctx("peer"))
        # Still a record the admin can find (to anonymise it early, or answer the person).
        assert sam in visible_participants(ctx("admin"))


def test_restricted_record_refuses_a_contact_through_the_page_and_the_api(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        sam = tenant_participant(harbor)
        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=sam)
    admin = login_as(harbor.user("admin"))
    page = admin.get(f"/app/harbor/people/{sam.pk}/")
    assert "Restricted: the person asked for this record to be erased" in page.content.decode()
    response = admin.post(
        f"/app/harbor/people/{sam.pk}/contacts/new/",
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "30",
            "mode": "phone",
            "service_model": "mentorship",
        },
    )
    assert response.status_code == 400
    assert "nothing new can be added" in response.content.decode()
    _token, plain = account_services.api_token_create(
        acting_user=harbor.user("admin"), user=harbor.user("admin"), name="t"
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    answer = api.post(
        f"/api/v1/organisations/harbor/participants/{sam.pk}/consents",
        json.dumps({"purpose": "service", "given_by": "self", "method": "written"}),
        content_type="application/json",
    )
    assert answer.status_code in (400, 422), answer.content
    assert "nothing new can be added" in answer.content.decode()
    with scopes_disabled():
        assert not ContactRecord.objects.filter(participant=sam).exists()
        assert not Consent.objects.filter(participant=sam).exists()


# --- The erasure page ---------------------------------------------------------------------------


def erase_url(participant: Participant) -> str:
    return f"/app/harbor/people/{participant.pk}/erase/"


def test_erase_page_explains_what_is_kept_and_the_date(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user("admin"))
    with time_machine.travel("2026-03-10 12:00:00+00:00", tick=False):
        client = login_as(harbor.user("admin"))
        page = client.get(erase_url(sam))
    text = page.content.decode()
    assert page.status_code == 200
    days = harbor.organisation.retention_closed_records_days
    expected = (date(2026, 3, 10) + timedelta(days=days)).strftime("%-d %b %Y")
    assert f"keeps closed records for {days} days" in text and expected in text
    assert "What anonymising removes" in text and "What is kept, and why" in text
    assert "There is no legal duty to keep this record" in text


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "peer", "referrer", "funder"])
def test_only_admins_reach_the_erase_page(harbor: Any, login_as: Any, role: str) -> None:
    assert login_as(harbor.user(role)).get(erase_url(tenant_participant(harbor))).status_code == 403


def test_outsider_gets_404_on_the_erase_page(harbor: Any, outsider: Any, login_as: Any) -> None:
    assert login_as(outsider).get(erase_url(tenant_participant(harbor))).status_code == 404


def test_erase_form_needs_the_confirmation(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    response = login_as(harbor.user("admin")).post(erase_url(sam), {"override_retention": "on"})
    assert response.status_code == 400
    assert "Tick this box to confirm that Sam Sample asked for their record to be erased." in response.content.decode()
    with scopes_disabled():
        sam.refresh_from_db()
    assert sam.erasure_requested_at is None and sam.anonymised_at is None
    assert not AuditEvent.objects.filter(action__startswith="participant.erasure").exists()


def test_erase_form_records_the_request_or_anonymises_with_the_override(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user("admin"))
    response = client.post(erase_url(sam), {"confirm": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        sam.refresh_from_db()
    assert sam.erasure_requested_at is not None and sam.anonymised_at is None
    profile = client.get(response["Location"]).content.decode()
    assert "It will be anonymised on" in profile and "Restricted" in profile
    assert "Give Sam Sample a private link" not in profile

    response = client.post(erase_url(sam), {"confirm": "on", "override_retention": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        sam.refresh_from_db()
    assert sam.anonymised_at is not None
    profile = client.get(response["Location"]).content.decode()
    assert "This record was anonymised" in profile and "Sam Sample" not in profile


def test_erase_asks_for_the_password_again(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    sam = tenant_participant(harbor)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        client.get("/app/harbor/")  # not idle-timed-out, but the password was entered too long ago
        response = client.post(erase_url(sam), {"confirm": "on", "override_retention": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/confirm/")
    with scopes_disabled():
        sam.refresh_from_db()
    assert sam.erasure_requested_at is None


# --- Access history -----------------------------------------------------------------------------


def test_access_history_rows_and_wording(harbor: Any, login_as: Any) -> None:
    coordinator, peer, admin = harbor.user("coordinator"), harbor.user("peer"), harbor.user("admin")
    with scopes_disabled():
        sam = tenant_participant(harbor)  # participant.create by the coordinator
        other = services.participant_create(acting_user=admin, organisation=harbor.organisation, preferred_name="Other")
        contact(harbor, other)
        services.participant_viewed(acting_user=admin, participant=other)
    login_as(coordinator).get(f"/app/harbor/people/{sam.pk}/")  # participant.view
    with scopes_disabled():
        contact(harbor, sam)  # contact.create by the peer
        consent = services.consent_grant(
            acting_user=coordinator, participant=sam, purpose="service", given_by="self", method="written"
        )
        services.consent_withdraw(acting_user=None, consent=consent)
        services.participant_set_status(acting_user=coordinator, participant=sam, status="paused")
        rights.self_service_viewed(participant=sam)
        history = rights.access_history(sam)
    assert [(e.who, e.role, e.what) for e in history] == [
        ("You, with your private link", "", "Looked at your private page"),
        ("Coordinator Harbor", "Coordinator", "Changed your record's status to “Paused”"),
        ("Alongside (automatic)", "", "Recorded that you withdrew a consent"),
        ("Coordinator Harbor", "Coordinator", "Recorded your consent"),
        ("Peer Harbor", "Peer supporter", "Logged a contact"),
        ("Coordinator Harbor", "Coordinator", "Viewed your record"),
        ("Coordinator Harbor", "Coordinator", "Created your record"),
    ]
    assert history[0].at >= history[-1].at
    assert not [e for e in history if e.who == admin.display_name]  # the admin only touched Other's record
    assert peer.display_name == "Peer Harbor"


def test_access_history_names_staff_never_by_email_and_falls_back_for_unknown_actions(harbor: Any) -> None:
    with scopes_disabled():
        sam = tenant_participant(harbor)
        nameless = account_services.user_create(acting_user=None, email="nameless@harbor.test", password="x" * 20)
        account_services.membership_grant(
            acting_user=None, organisation=harbor.organisation, user=nameless, role="coordinator"
        )
        from alongside.audit.services import record

        record(nameless, "participant.something_new", sam)
        history = rights.access_history(sam)
    assert (history[0].who, history[0].what) == ("A staff member", "Worked on your record")
    assert "nameless@harbor.test" not in repr(history)


@pytest.mark.parametrize("contacts", [1, 30])
def test_access_history_reads_in_three_queries(harbor: Any, contacts: int, django_assert_num_queries: Any) -> None:
    with scopes_disabled():
        sam = tenant_participant(harbor)
        for _ in range(contacts):
            contact(harbor, sam)
        with django_assert_num_queries(3):
            history = rights.access_history(sam)
    assert len(history) == contacts + 1


def test_access_history_page_is_for_the_access_log_permission(harbor: Any, outsider: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    url = f"/app/harbor/people/{sam.pk}/access-history/"
    for role in ("coordinator", "supervisor", "peer", "referrer", "funder"):
        assert login_as(harbor.user(role)).get(url).status_code == 403, role
    assert login_as(outsider).get(url).status_code == 404
    admin = harbor.user("admin")
    response = login_as(admin).get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Who has viewed Sam Sample" in text and "Created your record" in text
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.filter(action="audit.view_log").order_by("-id").first()
    assert event is not None
    assert (event.actor_id, event.object_type, event.object_id) == (admin.pk, "people.participant", str(sam.pk))


@pytest.mark.parametrize("contacts", [1, 25])
def test_access_history_page_has_a_constant_query_count(
    harbor: Any, login_as: Any, contacts: int, django_assert_max_num_queries: Any
) -> None:
    sam = tenant_participant(harbor)
    with scopes_disabled():
        for _ in range(contacts):
            contact(harbor, sam)
    client = login_as(harbor.user("admin"))
    with django_assert_max_num_queries(16):
        assert client.get(f"/app/harbor/people/{sam.pk}/access-history/").status_code == 200


# --- The person's private link, from the profile ------------------------------------------------


def test_coordinator_gives_a_private_link_shown_once_and_stored_hashed(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user("coordinator"))
    profile = client.get(f"/app/harbor/people/{sam.pk}/").content.decode()
    assert "Give Sam Sample a private link" in profile
    response = client.post(f"/app/harbor/people/{sam.pk}/access-link/")
    assert response.status_code == 200
    text = response.content.decode()
    start = text.index("/me/start/") + len("/me/start/")
    token = text[start : text.index("/", start)]
    assert len(token) >= 43  # 32 random bytes
    with scopes_disabled():
        link = ParticipantAccessLink.objects.get(participant=sam)
        assert link.token_hash == hash_token(token) and token not in json.dumps(
            list(ParticipantAccessLink.objects.values()), default=str
        )
        assert link.expires_at - link.created_at == timedelta(days=14)
        assert link.created_by == harbor.user("coordinator")
    assert "Not yet asked about texts" in text  # the safety preferences, before sending it
    assert "no-store" in response["Cache-Control"]
    assert audit_rows(sam, "participant.access_link.create") == [
        ("participant.access_link.create", harbor.user("coordinator").pk, "coordinator")
    ]

    # A second link switches off the first.
    client.post(f"/app/harbor/people/{sam.pk}/access-link/")
    with scopes_disabled():
        assert ParticipantAccessLink.objects.filter(participant=sam, revoked_at__isnull=True).count() == 1
        assert ParticipantAccessLink.objects.filter(participant=sam).count() == 2

    response = client.post(f"/app/harbor/people/{sam.pk}/access-link/revoke/")
    assert response.status_code == 302
    with scopes_disabled():
        assert not ParticipantAccessLink.objects.filter(participant=sam, revoked_at__isnull=True).exists()
    assert len(audit_rows(sam, "participant.access_link.revoke")) == 1
    # Nothing left to switch off: said plainly, nothing written.
    response = client.post(f"/app/harbor/people/{sam.pk}/access-link/revoke/", follow=True)
    assert "had no working private link" in response.content.decode()
    assert len(audit_rows(sam, "participant.access_link.revoke")) == 1


@pytest.mark.parametrize("role", ["supervisor", "peer", "referrer", "funder"])
def test_private_links_are_for_admins_and_coordinators(harbor: Any, login_as: Any, role: str) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user(role))
    assert client.post(f"/app/harbor/people/{sam.pk}/access-link/").status_code == 403
    assert client.post(f"/app/harbor/people/{sam.pk}/access-link/revoke/").status_code == 403
    with scopes_disabled():
        assert not ParticipantAccessLink.objects.exists()


def test_private_link_bad_requests(harbor: Any, outsider: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    client = login_as(harbor.user("coordinator"))
    assert client.get(f"/app/harbor/people/{sam.pk}/access-link/").status_code == 405
    assert client.post("/app/harbor/people/not-an-id/access-link/").status_code == 404
    assert login_as(outsider).post(f"/app/harbor/people/{sam.pk}/access-link/").status_code == 404
    with scopes_disabled():
        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=sam)
    response = client.post(f"/app/harbor/people/{sam.pk}/access-link/")
    assert response.status_code == 400
    assert "asked for their record to be erased" in response.content.decode()
    with scopes_disabled():
        assert not ParticipantAccessLink.objects.exists()
