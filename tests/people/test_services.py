"""People services: consent rules (youth, guardians, Part 2), withdrawal, merge, duplicates,
enrolment ranges, contact records, encryption of P3 fields and the audit rows they write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.audit.models import AuditEvent
from alongside.people import selectors, services
from alongside.people.models import (
    ClosedReason,
    Consent,
    ContactRecord,
    Enrolment,
    LivedExperienceTerm,
    Participant,
    ParticipantStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    # Service tests work below the request layer; the scope is exercised by the page tests.
    with scopes_disabled():
        yield


def born(years: int, days: int = 10) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def person(tenant: Any, **fields: Any) -> Participant:
    fields.setdefault("preferred_name", "Robin")
    return services.participant_create(
        acting_user=tenant.user("coordinator"), organisation=tenant.organisation, **fields
    )


def grant(tenant: Any, participant: Participant, purpose: str = "service", **kwargs: Any) -> Consent:
    kwargs.setdefault("given_by", "self")
    kwargs.setdefault("method", "e_signature")
    kwargs.setdefault("signature", participant.preferred_name)
    return services.consent_grant(
        acting_user=tenant.user("coordinator"), participant=participant, purpose=purpose, **kwargs
    )


# --- Consent ----------------------------------------------------------------------------------


def test_withdrawal_takes_effect_at_once(harbor: Any) -> None:
    robin = person(harbor)
    consent = grant(harbor, robin, "share_referrer", recipient="Dr. Okafor, Bayview Clinic")
    assert services.consent_covers(robin, "share_referrer", recipient="dr. okafor, bayview clinic")
    assert not services.consent_covers(robin, "share_referrer", recipient="Someone Else")
    assert not services.consent_covers(robin, "research")
    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=consent)
    assert not services.consent_covers(robin, "share_referrer", recipient="Dr. Okafor, Bayview Clinic")
    consent.refresh_from_db()
    assert consent.withdrawn_by == harbor.user("coordinator")


def test_consent_expires_on_its_date(harbor: Any) -> None:
    robin = person(harbor)
    grant(harbor, robin, "evaluation", valid_until=timezone.localdate() + timedelta(days=30))
    assert services.consent_covers(robin, "evaluation")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert not services.consent_covers(robin, "evaluation")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"purpose": "marketing"}, "purpose"),
        ({"method": "telepathy"}, "method"),
        ({"purpose": "share_care_team"}, "recipient"),
        ({"method": "verbal", "witness": ""}, "witness"),
        ({"method": "e_signature", "signature": " "}, "signature"),
        ({"valid_until": date(2000, 1, 1)}, "valid_until"),
        ({"given_by": "guardian"}, "guardian"),
    ],
)
def test_consent_bad_input_is_refused_with_a_field(harbor: Any, kwargs: dict[str, Any], field: str) -> None:
    robin = person(harbor)
    before = (Consent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        grant(harbor, robin, **kwargs)
    assert field in caught.value.message_dict
    assert (Consent.objects.count(), AuditEvent.objects.count()) == before


def test_adults_consent_for_themselves(harbor: Any) -> None:
    adult = person(harbor, date_of_birth=born(30))
    guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=adult, name="Pat")
    with pytest.raises(ValidationError) as caught:
        grant(harbor, adult, given_by="guardian", guardian=guardian)
    assert "given_by" in caught.value.message_dict


def test_young_child_needs_a_guardian(harbor: Any) -> None:
    child = person(harbor, preferred_name="Mia", date_of_birth=born(13))
    with pytest.raises(ValidationError) as caught:
        grant(harbor, child)
    assert "guardian" in caught.value.messages[0] or "given_by" in caught.value.message_dict
    guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=child, name="Ana Ruiz")
    grant(harbor, child, given_by="guardian", guardian=guardian, signature="Ana Ruiz")
    assert services.consent_covers(child, "service")
    assert services.consent_rule(child).is_minor and not services.consent_rule(child).may_consent_alone


def test_minor_who_may_consent_alone_is_the_only_one_who_can(harbor: Any) -> None:
    teen = person(harbor, preferred_name="Alex", date_of_birth=born(16))
    guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=teen, name="Kim")
    with pytest.raises(ValidationError) as caught:
        grant(harbor, teen, "share_care_team", recipient="Eastside Clinic", given_by="guardian", guardian=guardian)
    assert "given_by" in caught.value.message_dict
    grant(harbor, teen, "share_care_team", recipient="Eastside Clinic")
    assert services.consent_covers(teen, "share_care_team", recipient="Eastside Clinic")


def test_a_guardian_consent_stops_counting_once_the_young_person_may_consent(harbor: Any) -> None:
    teen = person(harbor, preferred_name="Jo", date_of_birth=born(16, days=-20))  # 16 in 20 days
    guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=teen, name="Lee")
    grant(harbor, teen, "share_referrer", recipient="Dr. Okafor", given_by="guardian", guardian=guardian)
    assert services.consent_covers(teen, "share_referrer", recipient="Dr. Okafor")
    with time_machine.travel(timezone.now() + timedelta(days=21)):
        assert not services.consent_covers(teen, "share_referrer", recipient="Dr. Okafor")


def test_substance_use_records_use_their_own_consent_age(harbor: Any) -> None:
    teen = person(harbor, preferred_name="Sky", date_of_birth=born(14), part2=True)
    assert services.consent_rule(teen).may_consent_alone  # SUD age 14 by default
    other = person(harbor, preferred_name="Rae", date_of_birth=born(14))
    assert not services.consent_rule(other).may_consent_alone  # general age 16


def test_part2_records_need_a_part2_consent_to_share(harbor: Any) -> None:
    robin = person(harbor, part2=True)
    with pytest.raises(ValidationError) as caught:
        grant(harbor, robin, "share_referrer", recipient="Dr. Okafor")
    assert "part2" in caught.value.message_dict
    with pytest.raises(ValidationError) as missing:
        grant(harbor, robin, "share_referrer", recipient="Dr. Okafor", part2=True)
    assert {"part2_information", "part2_discloser", "part2_expiry_event"} <= set(missing.value.message_dict)
    grant(
        harbor,
        robin,
        "share_referrer",
        recipient="Dr. Okafor",
        part2=True,
        part2_information="Attendance and progress in peer recovery support",
        part2_discloser="Harbor Peers",
        part2_expiry_event="End of peer support",
    )
    assert services.consent_covers(robin, "share_referrer", recipient="Dr. Okafor")
    assert "42 CFR part 2" in services.redisclosure_notice(robin)
    assert services.redisclosure_notice(person(harbor, preferred_name="Lou")) == ""


def test_consent_covers_rejects_unknown_purposes(harbor: Any) -> None:
    with pytest.raises(ValueError):
        services.consent_covers(person(harbor), "selling")


def test_consents_of_another_organisation_never_count(harbor: Any, riverbend: Any) -> None:
    robin = person(harbor)
    other = person(riverbend)
    grant(riverbend, other, "research")
    Consent.objects.filter(participant=other).update(participant=robin)  # a corrupted row
    assert not services.consent_covers(robin, "research")


# --- Participants -----------------------------------------------------------------------------


def test_create_needs_only_a_preferred_name_and_audits(harbor: Any) -> None:
    before = AuditEvent.objects.count()
    robin = person(harbor, preferred_name="  Robin  ")
    assert robin.preferred_name == "Robin" and robin.status == ParticipantStatus.ENQUIRY
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and (event.action, event.object_id) == ("participant.create", str(robin.pk))
    with pytest.raises(ValidationError):
        person(harbor, preferred_name="   ")
    with pytest.raises(ValidationError):
        person(harbor, date_of_birth=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError):
        person(harbor, assigned_peer=harbor.user("coordinator"))  # not a peer


def test_notes_are_encrypted_in_the_database(harbor: Any, login_as: Any) -> None:
    robin = person(harbor, notes="Private words about recovery")
    contact = services.contact_record_create(
        acting_user=harbor.user("peer"),
        participant=robin,
        organisation=harbor.organisation,
        service_model="mentorship",
        occurred_at=timezone.now(),
        duration_minutes=45,
        mode="phone",
        notes="Talked about returning to work",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notes FROM people_participant WHERE id = %s",
            [robin.pk.hex if connection.vendor == "sqlite" else robin.pk],
        )
        raw_participant = cursor.fetchone()[0]
        cursor.execute(
            "SELECT notes FROM people_contactrecord WHERE id = %s",
            [contact.pk.hex if connection.vendor == "sqlite" else contact.pk],
        )
        raw_contact = cursor.fetchone()[0]
    assert "recovery" not in raw_participant and raw_participant.startswith("gAAAA")
    assert "returning" not in raw_contact and raw_contact.startswith("gAAAA")
    assert ContactRecord.objects.get(pk=contact.pk).notes == "Talked about returning to work"


def test_status_changes(harbor: Any) -> None:
    robin = person(harbor)
    with pytest.raises(ValidationError):
        services.participant_set_status(acting_user=harbor.user("coordinator"), participant=robin, status="closed")
    services.participant_set_status(
        acting_user=harbor.user("coordinator"), participant=robin, status="closed", closed_reason=ClosedReason.GOALS_MET
    )
    robin.refresh_from_db()
    assert robin.closed_at is not None
    services.participant_set_status(acting_user=harbor.user("coordinator"), participant=robin, status="active")
    robin.refresh_from_db()
    assert robin.closed_reason == "" and robin.closed_at is None


def test_duplicates_by_name_and_birth_date_or_contact(harbor: Any, riverbend: Any) -> None:
    dob = born(40)
    first = person(harbor, preferred_name="Dana", date_of_birth=dob, email="dana@example.org", phone="(207) 555-0142")
    person(riverbend, preferred_name="Dana", date_of_birth=dob)  # another organisation: never a duplicate
    org = harbor.organisation
    assert selectors.possible_duplicates(org, preferred_name="dana", date_of_birth=dob) == [first]
    assert selectors.possible_duplicates(org, preferred_name="X", email="DANA@example.org") == [first]
    assert selectors.possible_duplicates(org, preferred_name="X", phone="207-555-0142") == [first]
    assert selectors.possible_duplicates(org, preferred_name="Dana") == []
    assert selectors.possible_duplicates(org, preferred_name="Dana", date_of_birth=dob, exclude_id=first.pk) == []


def test_merge_keeps_history(harbor: Any) -> None:
    keep = person(harbor, preferred_name="Dana", email="dana@example.org")
    dup = person(harbor, preferred_name="Dana W", phone="555-0100", notes="From the warm line")
    grant(harbor, dup, "research")
    services.contact_record_create(
        acting_user=harbor.user("peer"),
        participant=dup,
        organisation=harbor.organisation,
        service_model="warmline",
        occurred_at=timezone.now(),
        duration_minutes=10,
        mode="phone",
    )
    services.enrolment_start(acting_user=harbor.user("coordinator"), participant=dup, program=harbor.program)
    services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=dup)
    keep.refresh_from_db()
    dup.refresh_from_db()
    assert keep.phone == "555-0100" and keep.email == "dana@example.org" and "warm line" in keep.notes
    assert ContactRecord.objects.filter(participant=keep).count() == 1
    assert services.consent_covers(keep, "research")
    assert Enrolment.objects.filter(participant=keep, status="active").count() == 1
    assert dup.merged_into == keep and dup.status == "closed" and dup.closed_reason == "merged"
    assert {e.action for e in AuditEvent.objects.filter(object_id__in=[str(keep.pk), str(dup.pk)])} >= {
        "participant.merge",
        "participant.merged_away",
    }
    with pytest.raises(ValidationError):
        services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=dup)
    with pytest.raises(ValidationError):
        services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=keep)


def test_youth_programs_enforce_the_age_range(harbor: Any) -> None:
    youth_program = account_services.program_create(
        acting_user=harbor.user("admin"),
        organisation=harbor.organisation,
        name="Teen Circle",
        offers_groups=True,
        serves_adults=False,
        serves_youth=True,
    )
    adult = person(harbor, date_of_birth=born(40))
    with pytest.raises(ValidationError) as caught:
        services.enrolment_start(acting_user=harbor.user("coordinator"), participant=adult, program=youth_program)
    assert "12–25" in caught.value.message_dict["program"][0]
    teen = person(harbor, preferred_name="Tess", date_of_birth=born(15))
    enrolment = services.enrolment_start(
        acting_user=harbor.user("coordinator"), participant=teen, program=youth_program
    )
    teen.refresh_from_db()
    assert teen.status == "active"  # an enquiry becomes active when enrolled
    assert (
        services.enrolment_start(acting_user=harbor.user("coordinator"), participant=teen, program=youth_program)
        == enrolment
    )


def test_family_links(harbor: Any, riverbend: Any) -> None:
    mother = person(harbor, preferred_name="Rosa")
    son = person(harbor, preferred_name="Luis")
    link = services.family_link_create(
        acting_user=harbor.user("coordinator"), family_member=mother, relationship="parent", loved_one=son
    )
    assert link.loved_one == son
    by_name = services.family_link_create(
        acting_user=harbor.user("coordinator"), family_member=mother, relationship="partner", loved_one_name="Carlos"
    )
    assert by_name.loved_one is None
    with pytest.raises(ValidationError):
        services.family_link_create(acting_user=harbor.user("coordinator"), family_member=mother, relationship="parent")
    with pytest.raises(ValidationError):
        services.family_link_create(
            acting_user=harbor.user("coordinator"), family_member=mother, relationship="parent", loved_one=mother
        )
    with pytest.raises(ValidationError):
        services.family_link_create(
            acting_user=harbor.user("coordinator"),
            family_member=mother,
            relationship="parent",
            loved_one=person(riverbend),
        )


def test_contacts_refuse_the_future_and_other_organisations(harbor: Any, riverbend: Any) -> None:
    base = {
        "acting_user": harbor.user("peer"),
        "organisation": harbor.organisation,
        "service_model": "mentorship",
        "duration_minutes": 30,
        "mode": "video",
    }
    with pytest.raises(ValidationError):
        services.contact_record_create(
            participant=person(harbor), occurred_at=timezone.now() + timedelta(hours=2), **base
        )
    with pytest.raises(ValidationError):
        services.contact_record_create(participant=person(riverbend), occurred_at=timezone.now(), **base)
    with pytest.raises(ValidationError):
        services.contact_record_create(participant=None, occurred_at=timezone.now(), **{**base, "duration_minutes": 0})
    contact = services.contact_record_create(
        participant=None, occurred_at=timezone.now(), topics=[" housing ", "work", "housing", ""], **base
    )
    assert contact.topics == ["housing", "work"] and contact.peer == harbor.user("peer")


def test_self_referral_needs_a_way_to_reach_them(harbor: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.self_referral_submit(organisation=harbor.organisation, preferred_name="Kai")
    assert "email" in caught.value.message_dict
    kai = services.self_referral_submit(
        organisation=harbor.organisation, preferred_name="Kai", phone="555 0101", message="I'd like someone to talk to"
    )
    assert kai.source == "self_referral" and kai.status == "enquiry" and kai.notes == "I'd like someone to talk to"
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.actor_id is None and event.action == "participant.create"


def test_vocabulary_defaults_and_experiences(harbor: Any, riverbend: Any) -> None:
    added = services.vocabulary_ensure_defaults(acting_user=harbor.user("admin"), organisation=harbor.organisation)
    assert added > 30
    assert services.vocabulary_ensure_defaults(acting_user=harbor.user("admin"), organisation=harbor.organisation) == 0
    services.vocabulary_ensure_defaults(acting_user=None, organisation=riverbend.organisation)
    robin = person(harbor)
    terms = list(LivedExperienceTerm.objects.filter(organisation=harbor.organisation)[:3])
    services.participant_set_experiences(
        acting_user=harbor.user("coordinator"), participant=robin, selections={terms[0]: True, terms[1]: False}
    )
    assert {(e.term_id, e.use_for_matching) for e in robin.experiences.all()} == {
        (terms[0].pk, True),
        (terms[1].pk, False),
    }
    foreign = LivedExperienceTerm.objects.filter(organisation=riverbend.organisation).first()
    assert foreign is not None
    with pytest.raises(ValidationError):
        services.participant_set_experiences(
            acting_user=harbor.user("coordinator"), participant=robin, selections={foreign: True}
        )


def test_peer_profiles_are_for_peers(harbor: Any) -> None:
    profile = services.peer_profile_update(
        acting_user=harbor.user("peer"),
        organisation=harbor.organisation,
        user=harbor.user("peer"),
        bio="I found my way back after years of drinking.",
        languages=["en", "es"],
        caseload_limit=6,
    )
    assert profile.caseload_limit == 6
    with pytest.raises(ValidationError):
        services.peer_profile_update(
            acting_user=harbor.user("admin"), organisation=harbor.organisation, user=harbor.user("coordinator")
        )
    with pytest.raises(ValidationError):
        services.peer_profile_update(
            acting_user=harbor.user("peer"),
            organisation=harbor.organisation,
            user=harbor.user("peer"),
            caseload_limit=99,
        )
