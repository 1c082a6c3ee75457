"""Record pages (people/views/records.py): consent with its youth and Part 2 rules, withdrawal,
contacts, family links, guardians, lived experience and the peer supporter's own profile.
Bad input gets a clear message next to the field and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people import services
from alongside.people.models import (
    Consent,
    ContactRecord,
    FamilyLink,
    Guardian,
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    PeerProfile,
)
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(harbor: Any) -> Participant:
    return tenant_participant(harbor)


def born(years: int, days: int = 10) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def person(tenant: Any, **fields: Any) -> Participant:
    fields.setdefault("preferred_name", "Alex")
    with scopes_disabled():
        return services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, **fields
        )


def url(name: str, participant: Participant, suffix: str = "") -> str:
    return f"/app/harbor/people/{participant.pk}/{name}/{suffix}"


def profile_url(participant: Participant) -> str:
    return f"/app/harbor/people/{participant.pk}/"


def counts(model: Any) -> tuple[int, int]:
    with scopes_disabled():
        return model.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def unchanged() -> Iterator[Any]:
    """Asserts that a block wrote no row of the given model and no audit event."""

    class Check:
        def __call__(self, model: Any) -> Any:
            self.model = model
            self.before = counts(model)
            return self

        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: Any) -> None:
            assert counts(self.model) == self.before

    yield Check()


def consent_data(**changes: Any) -> dict[str, Any]:
    data = {"purpose": "evaluation", "given_by": "self", "method": "e_signature", "signature": "Alex Rivera"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- Consent ------------------------------------------------------------------------------------


def test_consent_form_explains_who_may_consent(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        harbor.organisation.minor_self_consent_age = 15
        harbor.organisation.save()
    alex = person(harbor, date_of_birth=born(15))
    page = login_as(harbor.user("coordinator")).get(url("consent", alex))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Because Alex is 15 and may consent alone, only Alex can agree to this." in html
    assert "The right to withdraw" in html and "42 CFR Part 2" in html
    assert "Signed form (PDF, PNG or JPEG, up to 5 MB)" in html and 'enctype="multipart/form-data"' in html
    assert "<legend>What is this consent for?" in html


def test_grant_then_withdraw_gates_sharing_at_once(harbor: Any, sam: Participant, login_as: Any) -> None:
    peer = login_as(harbor.user("peer"))  # Sam is on this peer's caseload
    response = peer.post(
        url("consent", sam),
        consent_data(purpose="share_referrer", recipient="Dr. Okafor, Bayview Clinic", signature="Sam Sample"),
    )
    assert response.status_code == 302 and response["Location"] == profile_url(sam)
    with scopes_disabled():
        assert services.consent_covers(sam, "share_referrer", recipient="Dr. Okafor, Bayview Clinic")
        consent = Consent.objects.get(participant=sam)
    assert AuditEvent.objects.filter(action="consent.grant", object_id=str(consent.pk)).count() == 1

    response = peer.post(url("consent", sam, f"{consent.pk}/withdraw/"), follow=False)
    assert response.status_code == 302 and response["Location"] == profile_url(sam)
    with scopes_disabled():
        assert not services.consent_covers(sam, "share_referrer", recipient="Dr. Okafor, Bayview Clinic")
        consent.refresh_from_db()
    assert consent.withdrawn_by == harbor.user("peer")
    assert AuditEvent.objects.filter(action="consent.withdraw", object_id=str(consent.pk)).count() == 1


def test_withdraw_says_it_stops_sharing(harbor: Any, sam: Participant, login_as: Any) -> None:
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=harbor.user("coordinator"),
            participant=sam,
            purpose="research",
            given_by="self",
            method="e_signature",
            signature="Sam",
        )
    client = login_as(harbor.user("coordinator"))
    response = client.post(url("consent", sam, f"{consent.pk}/withdraw/"))
    # The message is shown on the next page; read it from the message storage.
    messages = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert messages == ["Withdrawn — it stops any sharing at once."]


def test_withdraw_is_post_only_and_404_for_another_persons_consent(
    harbor: Any, sam: Participant, login_as: Any, unchanged: Any
) -> None:
    alex = person(harbor)
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=harbor.user("coordinator"),
            participant=alex,
            purpose="research",
            given_by="self",
            method="e_signature",
            signature="Alex",
        )
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("consent", alex, f"{consent.pk}/withdraw/")).status_code == 405
    with unchanged(Consent):
        assert client.post(url("consent", sam, f"{consent.pk}/withdraw/")).status_code == 404
        assert client.post(url("consent", sam, "not-a-uuid/withdraw/")).status_code == 404
    with scopes_disabled():
        consent.refresh_from_db()
    assert consent.withdrawn_at is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"purpose": None}, "purpose", "This field is required"),
        ({"purpose": "gossip"}, "purpose", "Select a valid choice"),
        ({"purpose": "share_care_team"}, "recipient", "Name who may receive the information"),
        ({"signature": ""}, "signature", "typed name"),
        ({"method": "verbal", "signature": ""}, "witness", "needs the name of a witness"),
        ({"method": "written", "signature": ""}, "form_on_file", "Confirm that the signed form is kept on file"),
        ({"valid_until": "2001-01-01"}, "valid_until", "Choose a date in the future"),
        ({"valid_until": "soon"}, "valid_until", "Enter a valid date"),
        ({"given_by": "guardian"}, "given_by", "An adult gives their own consent"),
    ],
)
def test_consent_bad_input(
    changes: dict[str, Any], field: str, message: str, harbor: Any, login_as: Any, unchanged: Any
) -> None:
    alex = person(harbor, date_of_birth=born(30))
    if changes.get("given_by") == "guardian":
        with scopes_disabled():
            guardian = services.guardian_create(
                acting_user=harbor.user("coordinator"), participant=alex, name="Pat", relationship="Parent"
            )
        changes = {**changes, "guardian": str(guardian.pk)}
    client = login_as(harbor.user("coordinator"))
    with unchanged(Consent):
        response = client.post(url("consent", alex), consent_data(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    error = html.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_guardian_consent_is_refused_when_the_young_person_may_consent_alone(
    harbor: Any, login_as: Any, unchanged: Any
) -> None:
    alex = person(harbor, date_of_birth=born(17))  # harbor: may consent alone from 16
    with scopes_disabled():
        guardian = services.guardian_create(
            acting_user=harbor.user("coordinator"), participant=alex, name="Pat Rivera", relationship="Parent"
        )
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("consent", alex)).content.decode()
    assert "Because Alex is 17 and may consent alone, only Alex can agree to this." in page
    with unchanged(Consent):
        response = client.post(
            url("consent", alex), consent_data(given_by="guardian", guardian=str(guardian.pk), signature="Pat Rivera")
        )
    assert response.status_code == 400
    assert "only they can give this consent" in response.content.decode()
    assert client.post(url("consent", alex), consent_data()).status_code == 302


def test_young_child_needs_a_guardian(harbor: Any, login_as: Any, unchanged: Any) -> None:
    alex = person(harbor, date_of_birth=born(12))
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("consent", alex)).content.decode()
    assert "Because Alex is 12, a parent or legal guardian needs to give this consent for Alex." in page
    assert "No legal guardian is on record yet" in page
    with unchanged(Consent):
        response = client.post(url("consent", alex), consent_data())
        assert response.status_code == 400
        assert "a parent or guardian needs to give consent" in response.content.decode()
    with scopes_disabled():
        guardian = services.guardian_create(
            acting_user=harbor.user("coordinator"), participant=alex, name="Pat Rivera", relationship="Parent"
        )
        not_legal = services.guardian_create(
            acting_user=harbor.user("coordinator"), participant=alex, name="Kim", is_legal_guardian=False
        )
    page = client.get(url("consent", alex)).content.decode()
    assert "Pat Rivera" in page and "Kim" not in page  # only legal guardians are offered
    with unchanged(Consent):
        response = client.post(
            url("consent", alex), consent_data(given_by="guardian", guardian=str(not_legal.pk), signature="Kim")
        )
        assert response.status_code == 400
    response = client.post(
        url("consent", alex), consent_data(given_by="guardian", guardian=str(guardian.pk), signature="Pat Rivera")
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert services.consent_covers(alex, "evaluation")
        assert Consent.objects.get(participant=alex).guardian == guardian


def test_part2_sharing_consent_needs_the_part2_elements(harbor: Any, login_as: Any, unchanged: Any) -> None:
    alex = person(harbor, part2=True, date_of_birth=born(30))
    client = login_as(harbor.user("coordinator"))
    assert "covered by 42 CFR Part 2" in client.get(url("consent", alex)).content.decode()
    sharing = consent_data(purpose="share_care_team", recipient="Bayview Care Team")
    with unchanged(Consent):
        response = client.post(url("consent", alex), sharing)
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("part2_information", "part2_discloser", "part2_expiry_event"):
        assert f'id="id_{field}_error"' in html
    assert "A 42 CFR Part 2 consent needs this." in html
    complete = {
        **sharing,
        "part2_information": "Attendance and progress toward goals",
        "part2_discloser": "Harbor Peers",
        "part2_expiry_event": "When Alex finishes the program",
    }
    with unchanged(Consent):
        response = client.post(url("consent", alex), {**complete, "method": "verbal", "witness": "Jo"})
    assert response.status_code == 400 and "must be signed" in response.content.decode()
    assert client.post(url("consent", alex), complete).status_code == 302
    with scopes_disabled():
        consent = Consent.objects.get(participant=alex)
        assert consent.part2 and consent.part2_discloser == "Harbor Peers"
        assert services.consent_covers(alex, "share_care_team", recipient="Bayview Care Team")


def test_consent_pages_follow_the_record_scope(harbor: Any, sam: Participant, login_as: Any) -> None:
    alex = person(harbor)  # not on the peer's caseload
    peer = login_as(harbor.user("peer"))
    assert peer.get(url("consent", alex)).status_code == 404
    assert peer.get(url("consent", sam)).status_code == 200
    assert login_as(harbor.user("funder")).get(url("consent", sam)).status_code == 403


# --- Contacts -----------------------------------------------------------------------------------


def contact_data(**changes: Any) -> dict[str, Any]:
    data = {
        "occurred_at": "2024-01-02T10:00",
        "duration_minutes": "45",
        "service_model": "mentorship",
        "mode": "phone",
        "topics": "work, sleep, work",
        "notes": "Talked about returning to work",
        "follow_up_needed": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_peer_logs_a_contact_in_the_organisations_time_zone(harbor: Any, sam: Participant, login_as: Any) -> None:
    peer = login_as(harbor.user("peer"))
    page = peer.get(url("contacts", sam, "new/")).content.decode()
    assert 'type="datetime-local"' in page and "America/New_York" in page
    assert "Only when, how long" in page
    response = peer.post(url("contacts", sam, "new/"), contact_data(program=str(harbor.program.pk)))
    assert response.status_code == 302 and response["Location"] == profile_url(sam)
    with scopes_disabled():
        contact = ContactRecord.objects.get(participant=sam)
    # 10:00 in New York in January is 15:00 UTC.
    assert contact.occurred_at == datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
    assert contact.peer == harbor.user("peer") and contact.program == harbor.program
    assert contact.topics == ["sleep", "work"] and contact.follow_up_needed
    assert contact.notes == "Talked about returning to work"
    assert AuditEvent.objects.filter(action="contact.create", object_id=str(contact.pk)).count() == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notes FROM people_contactrecord WHERE id = %s",
            [contact.pk.hex if connection.vendor == "sqlite" else contact.pk],
        )
        raw = cursor.fetchone()[0]
    assert raw and "returning to work" not in raw


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_minutes": None}, "duration_minutes", "This field is required"),
        ({"duration_minutes": "0"}, "duration_minutes", "greater than or equal to 1"),
        ({"duration_minutes": "2000"}, "duration_minutes", "less than or equal to 1440"),
        ({"occurred_at": "yesterday"}, "occurred_at", "Enter a valid date/time"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "A contact cannot be in the future"),
        ({"mode": "telepathy"}, "mode", "Select a valid choice"),
        ({"service_model": None}, "service_model", "This field is required"),
        ({"program": "not-a-program"}, "program", "is not a valid UUID"),
    ],
)
def test_contact_bad_input(
    changes: dict[str, Any], field: str, message: str, harbor: Any, sam: Participant, login_as: Any, unchanged: Any
) -> None:
    client = login_as(harbor.user("peer"))
    with unchanged(ContactRecord):
        response = client.post(url("contacts", sam, "new/"), contact_data(**changes))
    assert response.status_code == 400
    error = response.content.decode().split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_contact_refuses_another_organisations_program(
    harbor: Any, riverbend: Any, sam: Participant, login_as: Any, unchanged: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    with unchanged(ContactRecord):
        response = client.post(url("contacts", sam, "new/"), contact_data(program=str(riverbend.program.pk)))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_peer_may_log_contacts_only_for_people_they_see(harbor: Any, login_as: Any, unchanged: Any) -> None:
    alex = person(harbor)
    peer, funder = login_as(harbor.user("peer")), login_as(harbor.user("funder"))
    with unchanged(ContactRecord):
        assert peer.post(url("contacts", alex, "new/"), contact_data()).status_code == 404
        assert funder.post(url("contacts", alex, "new/"), contact_data()).status_code == 403


# --- Family links and guardians -----------------------------------------------------------------


def test_family_link_to_an_enrolled_or_named_loved_one(harbor: Any, sam: Participant, login_as: Any) -> None:
    alex = person(harbor)
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("family", alex)).content.decode()
    assert "Sam Sample" in page and f'value="{alex.pk}"' not in page  # not themselves
    assert client.post(url("family", alex), {"relationship": "parent", "loved_one": str(sam.pk)}).status_code == 302
    response = client.post(url("family", alex), {"relationship": "sibling", "loved_one_name": "Jordan"})
    assert response.status_code == 302 and response["Location"] == profile_url(alex)
    with scopes_disabled():
        links = list(FamilyLink.objects.filter(family_member=alex).order_by("created_at"))
    assert [(link.loved_one, link.loved_one_name, link.relationship) for link in links] == [
        (sam, "", "parent"),
        (None, "Jordan", "sibling"),
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"relationship": "parent"}, "loved_one_name", "Give the loved one&#x27;s first name"),
        ({"relationship": "parent", "loved_one_name": "   "}, "loved_one_name", "Give the loved one&#x27;s first name"),
        ({"loved_one_name": "Jordan"}, "relationship", "This field is required"),
        ({"relationship": "cousin", "loved_one_name": "Jordan"}, "relationship", "Select a valid choice"),
        ({"relationship": "parent", "loved_one": "SAM", "loved_one_name": "Jordan"}, "loved_one_name", "not both"),
        ({"relationship": "parent", "loved_one": "SELF"}, "loved_one", "Select a valid choice"),
        ({"relationship": "parent", "loved_one": "FOREIGN"}, "loved_one", "Select a valid choice"),
    ],
)
def test_family_link_bad_input(
    data: dict[str, str],
    field: str,
    message: str,
    harbor: Any,
    riverbend: Any,
    sam: Participant,
    login_as: Any,
    unchanged: Any,
) -> None:
    alex = person(harbor)
    ids = {"SAM": str(sam.pk), "SELF": str(alex.pk), "FOREIGN": str(tenant_participant(riverbend).pk)}
    data = {k: ids.get(v, v) for k, v in data.items()}
    client = login_as(harbor.user("coordinator"))
    with unchanged(FamilyLink):
        response = client.post(url("family", alex), data)
    assert response.status_code == 400
    error = response.content.decode().split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_family_and_guardian_pages_need_participants_change(harbor: Any, sam: Participant, login_as: Any) -> None:
    peer = login_as(harbor.user("peer"))
    assert peer.get(url("family", sam)).status_code == 403
    assert peer.get(url("guardians", sam)).status_code == 403


def test_guardian_added(harbor: Any, login_as: Any) -> None:
    alex = person(harbor, date_of_birth=born(12))
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("guardians", alex)).content.decode()
    assert 'name="is_legal_guardian"' in page and "checked" in page
    response = client.post(
        url("guardians", alex),
        {"name": " Pat Rivera ", "relationship": "Aunt", "phone": "207-555-0142", "is_legal_guardian": "on"},
    )
    assert response.status_code == 302 and response["Location"] == profile_url(alex)
    with scopes_disabled():
        guardian = Guardian.objects.get(participant=alex)
    assert (guardian.name, guardian.relationship, guardian.is_legal_guardian) == ("Pat Rivera", "Aunt", True)
    assert AuditEvent.objects.filter(action="guardian.create", object_id=str(guardian.pk)).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"relationship": "Parent"}, "name", "This field is required"),
        ({"name": "   ", "relationship": "Parent"}, "name", "This field is required"),
        ({"name": "Pat", "relationship": "Parent", "email": "not-an-email"}, "email", "Enter a valid email"),
        ({"name": "Pat"}, "relationship", "This field is required"),
        ({"name": "P" * 201, "relationship": "Parent"}, "name", "at most 200 characters"),
    ],
)
def test_guardian_bad_input(
    data: dict[str, str], field: str, message: str, harbor: Any, sam: Participant, login_as: Any, unchanged: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    with unchanged(Guardian):
        response = client.post(url("guardians", sam), data)
    assert response.status_code == 400
    error = response.content.decode().split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


# --- Lived experience ---------------------------------------------------------------------------


def test_experiences_load_the_default_vocabulary_and_save_choices(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    page = client.get(url("experiences", sam)).content.decode()
    assert "<legend>Mental health</legend>" in page and "<legend>Depression</legend>" in page
    assert "Every answer is optional" in page and "We ask so that" in page
    with scopes_disabled():
        terms = {t.label: t for t in LivedExperienceTerm.objects.filter(organisation=harbor.organisation)}
    depression, grief, ptsd = terms["Depression"], terms["Grief and loss"], terms["PTSD"]
    response = client.post(
        url("experiences", sam),
        {
            f"share_{depression.pk}": "on",
            f"match_{depression.pk}": "on",
            f"share_{grief.pk}": "on",
            f"match_{ptsd.pk}": "on",  # not shared: matching alone does not count
        },
    )
    assert response.status_code == 302 and response["Location"] == profile_url(sam)
    with scopes_disabled():
        chosen = {pe.term.label: pe.use_for_matching for pe in ParticipantExperience.objects.filter(participant=sam)}
    assert chosen == {"Depression": True, "Grief and loss": False}
    page = client.get(url("experiences", sam)).content.decode()
    assert f'name="share_{depression.pk}" id="id_share_{depression.pk}" checked' in page

    assert client.post(url("experiences", sam), {}).status_code == 302
    with scopes_disabled():
        assert not ParticipantExperience.objects.filter(participant=sam).exists()


def test_experiences_ignore_another_organisations_terms(
    harbor: Any, riverbend: Any, sam: Participant, login_as: Any
) -> None:
    with scopes_disabled():
        services.vocabulary_ensure_defaults(acting_user=None, organisation=riverbend.organisation)
        foreign = LivedExperienceTerm.objects.filter(organisation=riverbend.organisation).first()
    assert foreign is not None
    response = login_as(harbor.user("coordinator")).post(url("experiences", sam), {f"share_{foreign.pk}": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        assert not ParticipantExperience.objects.filter(participant=sam).exists()


# --- The peer supporter's own profile -----------------------------------------------------------


def test_peer_edits_their_own_profile(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    page = client.get("/app/harbor/my-profile/").content.decode()
    assert '<th scope="row">Monday</th>' in page and "Lived experience you share for matching" in page
    with scopes_disabled():
        services.vocabulary_ensure_defaults(acting_user=None, organisation=harbor.organisation)
        grief = LivedExperienceTerm.objects.get(organisation=harbor.organisation, label="Grief and loss")
    response = client.post(
        "/app/harbor/my-profile/",
        {
            "bio": "  I found my way back through a peer group.  ",
            "languages": ["en", "es"],
            "specialties": ["grief", "recovery"],
            "modalities": ["phone", "video"],
            "service_area": "Downtown",
            "availability_mon_morning": "on",
            "availability_mon_evening": "on",
            "availability_sat_afternoon": "on",
            "caseload_limit": "6",
            "status": "on_leave",
            f"term_{grief.pk}": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/app/harbor/my-profile/"
    with scopes_disabled():
        profile = PeerProfile.objects.get(organisation=harbor.organisation, user=harbor.user("peer"))
        shared = list(profile.shared_experiences.all())
    assert profile.bio == "I found my way back through a peer group."
    assert profile.availability == {"mon": ["morning", "evening"], "sat": ["afternoon"]}
    assert (profile.caseload_limit, profile.status, profile.languages) == (6, "on_leave", ["en", "es"])
    assert profile.specialties == ["grief", "recovery"] and shared == [grief]
    page = client.get("/app/harbor/my-profile/").content.decode()
    assert 'name="availability_mon_morning" id="id_availability_mon_morning" checked' in page
    assert "I found my way back" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"caseload_limit": "61"}, "caseload_limit", "less than or equal to 60"),
        ({"caseload_limit": "-1"}, "caseload_limit", "greater than or equal to 0"),
        ({"caseload_limit": ""}, "caseload_limit", "This field is required"),
        ({"status": "retired"}, "status", "Select a valid choice"),
        ({"specialties": ["astrology"]}, "specialties", "Select a valid choice"),
        ({"bio": "x" * 1001}, "bio", "at most 1000 characters"),
    ],
)
def test_peer_profile_bad_input(
    changes: dict[str, Any], field: str, message: str, harbor: Any, login_as: Any, unchanged: Any
) -> None:
    data = {"caseload_limit": "8", "status": "active", **changes}
    with scopes_disabled():  # the first visit loads the default vocabulary (an audited write)
        services.vocabulary_ensure_defaults(acting_user=None, organisation=harbor.organisation)
    client = login_as(harbor.user("peer"))
    with unchanged(PeerProfile):
        response = client.post("/app/harbor/my-profile/", data)
    assert response.status_code == 400
    error = response.content.decode().split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_only_peers_have_a_profile_page(harbor: Any, login_as: Any) -> None:
    assert login_as(harbor.user("coordinator")).get("/app/harbor/my-profile/").status_code == 403


def test_record_pages_have_no_inline_scripts_or_styles(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    for path in [url("consent", sam), url("contacts", sam, "new/"), url("family", sam), url("guardians", sam)]:
        html = client.get(path).content.decode()
        assert " style=" not in html and "<style" not in html and "onclick=" not in html
        assert "<script>" not in html


@pytest.mark.django_db
def test_a_link_may_preselect_the_kind_of_support(harbor: Any, login_as: Any) -> None:
    import re

    from tests.people.helpers import tenant_participant

    def checked(html: str) -> list[str]:
        tags = re.findall(r'<input[^>]*name="service_model"[^>]*>', html)
        return [re.search(r'value="([^"]*)"', tag).group(1) for tag in tags if " checked" in tag]  # type: ignore[union-attr]

    participant = tenant_participant(harbor)
    client = login_as(harbor.user("coordinator"))
    url = f"/app/{harbor.organisation.slug}/people/{participant.pk}/contacts/new/"
    assert checked(client.get(url + "?service_model=referral").content.decode()) == ["referral"]
    assert checked(client.get(url + "?service_model=nonsense").content.decode()) == []
    assert checked(client.get(url).content.decode()) == []
