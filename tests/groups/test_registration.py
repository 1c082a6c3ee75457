"""Registration and the waitlist: places, promotion, duplicates, youth groups, staff registration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.groups import registration as reg
from alongside.groups.models import GroupAgreement, Registration, RegistrationStatus
from alongside.groups.vocab import Audience, Joining
from alongside.people import services as people_services
from alongside.people.models import ConsentGivenBy, ConsentMethod, ConsentPurpose, Participant
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(harbor: Any) -> Iterator[Any]:
    with tenant_scope(harbor.organisation):
        yield harbor


def reg_group(t: Any, name: str = "Evening Circle", **fields: Any) -> Any:
    defaults: dict[str, Any] = {"joining": Joining.REGISTRATION, "capacity": 2}
    defaults.update(fields)
    return make_group(t, name, **defaults)


def person(t: Any, name: str = "Alex", **fields: Any) -> Participant:
    return people_services.participant_create(
        acting_user=t.user("coordinator"), organisation=t.organisation, preferred_name=name, **fields
    )


def test_register_then_waitlist_then_promote_on_cancel(scoped: Any) -> None:
    group = reg_group(scoped, capacity=1)
    first = reg.register_public(group=group, first_name=" Ana ", email="ana@example.org")
    second = reg.register_public(group=group, first_name="Ben", phone="(555) 010-2000")
    third = reg.register_public(group=group, first_name="Cy", email="cy@example.org")
    assert first.registration.status == RegistrationStatus.REGISTERED
    assert first.registration.first_name == "Ana"
    assert second.registration.status == third.registration.status == RegistrationStatus.WAITLISTED
    assert reg.waitlist_position(second.registration) == 1
    assert reg.waitlist_position(third.registration) == 2
    assert reg.places_left(group) == 0
    mail.outbox.clear()
    reg.registration_cancel(acting_user=None, registration=first.registration)
    second.registration.refresh_from_db()
    third.registration.refresh_from_db()
    assert second.registration.status == RegistrationStatus.REGISTERED
    assert third.registration.status == RegistrationStatus.WAITLISTED
    assert reg.waitlist_position(third.registration) == 1
    # Ben gave only a phone: nobody is emailed (the promotion email needs an address).
    assert mail.outbox == []
    reg.registration_cancel(acting_user=None, registration=second.registration)
    third.registration.refresh_from_db()
    assert third.registration.status == RegistrationStatus.REGISTERED
    actions = list(
        AuditEvent.objects.filter(organisation_id=scoped.organisation.pk, action__startswith="registration.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "registration.registered",
        "registration.waitlisted",
        "registration.waitlisted",
        "registration.cancel",
        "registration.promote",
        "registration.cancel",
        "registration.promote",
    ]


def test_emails_after_commit_name_the_link_and_promotion(scoped: Any, django_capture_on_commit_callbacks: Any) -> None:
    group = reg_group(scoped, capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = reg.register_public(group=group, first_name="Ana", email="ana@example.org")
        waiting = reg.register_public(group=group, first_name="Dee", email="dee@example.org")
    assert [m.to for m in mail.outbox] == [["ana@example.org"], ["dee@example.org"]]
    assert first.token in mail.outbox[0].body
    assert "waitlist" in mail.outbox[1].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reg.registration_cancel(acting_user=None, registration=first.registration)
    assert [m.to for m in mail.outbox] == [["dee@example.org"]]
    assert "place opened" in mail.outbox[0].subject
    assert waiting.token not in mail.outbox[0].body  # the link was given once; the email points to it


def test_cancel_twice_is_harmless_and_waitlisted_cancel_promotes_nobody(scoped: Any) -> None:
    group = reg_group(scoped, capacity=1)
    a = reg.register_public(group=group, first_name="Ana", email="a@example.org").registration
    b = reg.register_public(group=group, first_name="Ben", email="b@example.org").registration
    c = reg.register_public(group=group, first_name="Cy", email="c@example.org").registration
    reg.registration_cancel(acting_user=None, registration=b)
    reg.registration_cancel(acting_user=None, registration=b)
    a.refresh_from_db()
    c.refresh_from_db()
    assert a.status == RegistrationStatus.REGISTERED
    assert c.status == RegistrationStatus.WAITLISTED
    assert Registration.objects.filter(group=group, status=RegistrationStatus.CANCELLED).count() == 1


def test_no_capacity_means_no_waitlist(scoped: Any) -> None:
    group = reg_group(scoped, capacity=None)
    for i in range(5):
        result = reg.register_public(group=group, first_name=f"P{i}", email=f"p{i}@example.org")
        assert result.registration.status == RegistrationStatus.REGISTERED
    assert reg.places_left(group) is None


def test_waitlist_fill_after_places_are_added(scoped: Any) -> None:
    group = reg_group(scoped, capacity=1)
    reg.register_public(group=group, first_name="Ana", email="a@example.org")
    waiting = reg.register_public(group=group, first_name="Ben", email="b@example.org").registration
    group.capacity = 2
    group.save(update_fields=["capacity"])
    promoted = reg.waitlist_fill(acting_user=scoped.user("coordinator"), group=group)
    assert [r.pk for r in promoted] == [waiting.pk]


def test_duplicate_contact_makes_no_second_row_and_renews_the_link(
    scoped: Any, django_capture_on_commit_callbacks: Any
) -> None:
    group = reg_group(scoped)
    first = reg.register_public(group=group, first_name="Ana", email="Ana@Example.org")
    with django_capture_on_commit_callbacks(execute=True):
        again = reg.register_public(group=group, first_name="Someone", email=" ana@example.ORG ")
    assert again.duplicate and again.token == ""
    assert again.registration.pk == first.registration.pk
    assert Registration.objects.filter(group=group).count() == 1
    # The old link stops working; the fresh one went to the first registration's address only.
    assert reg.registration_by_token(group, first.token) is None
    assert [m.to for m in mail.outbox] == [["Ana@Example.org"]]
    # A phone written differently is the same phone.
    reg.register_public(group=group, first_name="Ben", phone="+1 (555) 010-2000")
    assert reg.register_public(group=group, first_name="Ben", phone="+1 555.010.2000").duplicate
    # After cancelling, the same person may register again.
    reg.registration_cancel(acting_user=None, registration=first.registration)
    assert not reg.register_public(group=group, first_name="Ana", email="ana@example.org").duplicate


def test_contact_hash_is_keyed_and_normalised() -> None:
    assert reg.contact_hash(email="A@B.org") == reg.contact_hash(email=" a@b.ORG")
    assert reg.contact_hash(phone="555-010-2000") == reg.contact_hash(phone="(555) 010 2000")
    assert reg.contact_hash(email="a@b.org") != reg.contact_hash(phone="a@b.org")
    assert reg.contact_hash() == ""
    import hashlib

    assert reg.contact_hash(email="a@b.org") != hashlib.sha256(b"email:a@b.org").hexdigest()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"first_name": ""}, {"first_name"}),
        ({"first_name": "x" * 61}, {"first_name"}),
        ({"email": "", "phone": ""}, {"email"}),
        ({"email": "", "phone": "12"}, {"phone"}),
    ],
)
def test_public_registration_refuses_bad_input(scoped: Any, fields: dict[str, Any], errors: set[str]) -> None:
    group = reg_group(scoped)
    data: dict[str, Any] = {"first_name": "Ana", "email": "a@example.org", **fields}
    with pytest.raises(ValidationError) as exc:
        reg.register_public(group=group, **data)
    assert set(exc.value.message_dict) == errors
    assert not Registration.objects.filter(group=group).exists()


def test_agreement_must_be_acknowledged_and_is_named(scoped: Any) -> None:
    group = reg_group(scoped)
    GroupAgreement.objects.create(organisation=scoped.organisation, group=group, version=1, text="Be kind.")
    v2 = GroupAgreement.objects.create(organisation=scoped.organisation, group=group, version=2, text="Be kinder.")
    with pytest.raises(ValidationError) as exc:
        reg.register_public(group=group, first_name="Ana", email="a@example.org")
    assert "agreement_acknowledged" in exc.value.message_dict
    ok = reg.register_public(group=group, first_name="Ana", email="a@example.org", agreement_acknowledged=True)
    assert ok.registration.agreement_id == v2.pk
    assert ok.registration.agreement_acknowledged_at is not None


def test_youth_group_checks_age_and_guardian(scoped: Any) -> None:
    group = reg_group(scoped, audience=Audience.YOUTH, age_min=13, age_max=17)
    base = {"first_name": "Kai", "email": "kai@example.org"}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"age"}),
        ({"age": 12}, {"age"}),
        ({"age": 18}, {"age"}),
        ({"age": 15}, {"guardian_name", "guardian_contact", "guardian_consent"}),
        ({"age": 15, "guardian_name": "Mo", "guardian_contact": "555 010 1000"}, {"guardian_consent"}),
    ]
    for extra, expected in cases:
        with pytest.raises(ValidationError) as exc:
            reg.register_public(group=group, **base, **extra)
        assert set(exc.value.message_dict) == expected, extra
    ok = reg.register_public(
        group=group, **base, age=15, guardian_name="Mo", guardian_contact="555 010 1000", guardian_consent=True
    )
    assert ok.registration.guardian_consent_at is not None and ok.registration.age == 15


def test_youth_group_for_young_adults_needs_no_guardian(scoped: Any) -> None:
    group = reg_group(scoped, audience=Audience.YOUTH, age_min=18, age_max=25)
    ok = reg.register_public(group=group, first_name="Kai", email="kai@example.org", age=19)
    assert ok.registration.guardian_consent_at is None


def test_drop_in_closed_ended_and_private_groups_refuse_public_registration(scoped: Any) -> None:
    for i, fields in enumerate(
        [{"joining": Joining.DROP_IN}, {"is_open": False}, {"status": "ended"}, {"is_public": False}]
    ):
        group = reg_group(scoped, f"G{i}", **fields)
        with pytest.raises(ValidationError):
            reg.register_public(group=group, first_name="Ana", email="a@example.org")
    assert not Registration.objects.exists()


def test_contact_details_are_stored_encrypted(scoped: Any) -> None:
    group = reg_group(scoped)
    result = reg.register_public(group=group, first_name="Ana", email="secret-ana@example.org", phone="5550102000")
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, phone FROM groups_registration WHERE id = %s", [result.registration.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores UUIDs natively
            cursor.execute("SELECT email, phone FROM groups_registration WHERE id = %s", [str(result.registration.pk)])
            row = cursor.fetchone()
    assert row is not None
    assert "secret-ana" not in row[0] and "5550102000" not in row[1]
    assert len(result.registration.token_hash) == 64 and result.token not in result.registration.token_hash


# --- Staff registration --------------------------------------------------------------------------


def test_staff_register_participant_and_refuse_duplicates(scoped: Any) -> None:
    group = reg_group(scoped)
    alex = person(scoped, "Alex Rivera")
    result = reg.register_staff(acting_user=scoped.user("coordinator"), group=group, participant=alex)
    assert result.registration.participant_id == alex.pk
    assert result.registration.first_name == "Alex"
    assert result.registration.source == "staff"
    with pytest.raises(ValidationError) as exc:
        reg.register_staff(acting_user=scoped.user("coordinator"), group=group, participant=alex)
    assert "participant" in exc.value.message_dict


def test_staff_register_refuses_another_organisations_person(scoped: Any, riverbend: Any) -> None:
    group = reg_group(scoped)
    with tenant_scope(riverbend.organisation):
        stranger = person(riverbend, "Stranger")
    with pytest.raises(ValidationError):
        reg.register_staff(acting_user=scoped.user("coordinator"), group=group, participant=stranger)


def test_staff_register_youth_checks_date_of_birth_and_guardian_consent(scoped: Any) -> None:
    group = reg_group(scoped, audience=Audience.YOUTH, age_min=13, age_max=17)
    coordinator = scoped.user("coordinator")
    no_dob = person(scoped, "Noor")
    with pytest.raises(ValidationError, match="date of birth"):
        reg.register_staff(acting_user=coordinator, group=group, participant=no_dob)
    today = timezone.localdate()
    too_old = person(scoped, "Old", date_of_birth=date(today.year - 30, 1, 1))
    with pytest.raises(ValidationError, match="ages 13 to 17"):
        reg.register_staff(acting_user=coordinator, group=group, participant=too_old)
    # 13 years old: below the organisation's self-consent age, so a guardian's consent is needed.
    young = person(scoped, "Young", date_of_birth=date(today.year - 14, 1, 1))
    with pytest.raises(ValidationError, match="guardian"):
        reg.register_staff(acting_user=coordinator, group=group, participant=young)
    guardian = people_services.guardian_create(
        acting_user=coordinator, participant=young, name="Parent", is_legal_guardian=True
    )
    people_services.consent_grant(
        acting_user=coordinator,
        participant=young,
        purpose=ConsentPurpose.SERVICE,
        given_by=ConsentGivenBy.GUARDIAN,
        method=ConsentMethod.E_SIGNATURE,
        guardian=guardian,
        signature="Parent",
    )
    ok = reg.register_staff(acting_user=coordinator, group=group, participant=young)
    assert ok.registration.guardian_consent_at is not None


def test_staff_registration_emails_only_with_consent_and_safety(
    scoped: Any, django_capture_on_commit_callbacks: Any
) -> None:
    group = reg_group(scoped)
    coordinator = scoped.user("coordinator")
    quiet = person(scoped, "Quiet", email="quiet@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        reg.register_staff(acting_user=coordinator, group=group, participant=quiet)
    assert mail.outbox == []
    ok = person(scoped, "Okay", email="okay@example.org", safe_to_email=True)
    people_services.consent_grant(
        acting_user=coordinator,
        participant=ok,
        purpose=ConsentPurpose.CONTACT_EMAIL,
        given_by=ConsentGivenBy.SELF,
        method=ConsentMethod.E_SIGNATURE,
        signature="Okay",
    )
    with django_capture_on_commit_callbacks(execute=True):
        reg.register_staff(acting_user=coordinator, group=group, participant=ok)
    assert [m.to for m in mail.outbox] == [["okay@example.org"]]


# --- Staff pages ---------------------------------------------------------------------------------


def test_staff_registration_pages(harbor: Any, login_as: Any, outsider: Any) -> None:
    from django.urls import reverse

    with tenant_scope(harbor.organisation):
        group = reg_group(harbor, capacity=1)
        alex = person(harbor, "Alex Rivera", email="alex@example.org")
        first = reg.register_public(group=group, first_name="Ana", email="ana-page@example.org").registration
    slug = harbor.organisation.slug
    listing = reverse("groups:registration_list", args=[slug, group.pk])
    client = login_as(harbor.user("coordinator"))
    html = client.get(listing).content.decode()
    assert "Ana" in html and "Alex Rivera" in html
    assert client.post(listing, {"participant": ""}).status_code == 400
    assert client.post(listing, {"participant": "not-a-person"}).status_code == 400
    assert client.post(listing, {"participant": str(alex.pk)}).status_code == 302
    with tenant_scope(harbor.organisation):
        alex_reg = Registration.objects.get(participant=alex)
    assert alex_reg.status == RegistrationStatus.WAITLISTED
    # The contact details are a logged read.
    detail = reverse("groups:registration_detail", args=[slug, group.pk, first.pk])
    assert "ana-page@example.org" in client.get(detail).content.decode()
    assert AuditEvent.objects.filter(action="registration.view", object_id=str(first.pk)).exists()
    # Cancelling promotes Alex.
    cancel = reverse("groups:registration_cancel", args=[slug, group.pk, first.pk])
    assert client.post(cancel).status_code == 302
    alex_reg.refresh_from_db()
    assert alex_reg.status == RegistrationStatus.REGISTERED
    for user, expected in [(harbor.user("peer"), 403), (harbor.user("funder"), 403), (outsider, 404)]:
        assert login_as(user).get(listing).status_code == expected


def test_group_page_links_to_registrations_feedback_and_counts(harbor: Any, login_as: Any) -> None:
    from django.urls import reverse

    with tenant_scope(harbor.organisation):
        group = reg_group(harbor)
    detail = reverse("groups:group_detail", args=[harbor.organisation.slug, group.pk])
    coordinator = login_as(harbor.user("coordinator")).get(detail).content.decode()
    assert f"/groups/{group.pk}/registrations/" in coordinator
    assert f"/groups/{group.pk}/feedback/" in coordinator and f"/groups/{group.pk}/counts/" in coordinator
    peer = login_as(harbor.user("peer")).get(detail).content.decode()  # the group's facilitator
    assert f"/groups/{group.pk}/registrations/" not in peer and f"/groups/{group.pk}/feedback/" not in peer


# --- The person's record: merge, erasure request, anonymisation ----------------------------------


def test_merge_moves_registrations_and_cancels_a_second_place_in_one_group(scoped: Any) -> None:
    coordinator = scoped.user("coordinator")
    both = reg_group(scoped, "Both", capacity=2)
    only_dup = reg_group(scoped, "Only duplicate")
    keep, dup = person(scoped, "Kim"), person(scoped, "Kim B")
    reg.register_staff(acting_user=coordinator, group=both, participant=keep)
    second = reg.register_staff(acting_user=coordinator, group=both, participant=dup).registration
    waiting = reg.register_public(group=both, first_name="Wai", email="wai@example.org").registration
    moved = reg.register_staff(acting_user=coordinator, group=only_dup, participant=dup).registration
    people_services.participant_merge(acting_user=coordinator, keep=keep, duplicate=dup)
    second.refresh_from_db()
    moved.refresh_from_db()
    waiting.refresh_from_db()
    assert second.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.REGISTERED  # the freed place went to the first waiting
    assert moved.participant_id == keep.pk and moved.status == RegistrationStatus.REGISTERED


def test_anonymising_clears_what_identifies_the_person(scoped: Any) -> None:
    from alongside.people import rights

    group = reg_group(scoped)
    kim = person(scoped, "Kim Lee", email="kim@example.org")
    registration = reg.register_staff(acting_user=scoped.user("coordinator"), group=group, participant=kim).registration
    rights.participant_anonymise(acting_user=scoped.user("admin"), participant=kim)
    registration.refresh_from_db()
    assert registration.first_name == "—" and registration.token_hash == "" and registration.email == ""
    # Anonymisation also runs the restrict step: the place was given up.
    assert registration.status == RegistrationStatus.CANCELLED
    assert AuditEvent.objects.filter(action="registration.anonymise", object_id=str(registration.pk)).exists()


def test_the_persons_export_lists_their_group_registrations(scoped: Any) -> None:
    group = reg_group(scoped)
    kim = person(scoped, "Kim Lee")
    reg.register_staff(acting_user=scoped.user("coordinator"), group=group, participant=kim)
    data = people_services.participant_export(acting_user=scoped.user("admin"), participant=kim)
    rows = data["group_registrations"]
    assert rows == [
        {
            "group": "Evening Circle",
            "status": "Registered",
            "registered_at": rows[0]["registered_at"],
            "waitlisted_at": None,
            "cancelled_at": None,
            "agreement_version": None,
            "sessions_attended": 0,
        }
    ]
    assert rows[0]["registered_at"] is not None
