"""Merging two records of one person moves every row other parts keep about them, and records the
person asked to erase take no new writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.matching.models import MatchRequest, RequestStatus
from alongside.people import documents, referrals, rights, services
from alongside.people.models import ConsentDocument, Participant, Referral
from tests.matching.helpers import make_person, make_request

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _referral(tenant: Any, person: Participant) -> Referral:
    return referrals.referral_create(
        acting_user=tenant.user("coordinator"),
        organisation=tenant.organisation,
        participant=person,
        reason="Leaving the ward on Friday",
        urgency="routine",
        consent_attested=True,
    )


def test_merge_moves_referrals_forms_and_match_requests(harbor: Any) -> None:
    coordinator = harbor.user("coordinator")
    with scopes_disabled():
        keep = make_person(harbor, "Robin")
        duplicate = make_person(harbor, "Robbie")
        referral = _referral(harbor, duplicate)
        consent = services.consent_grant(
            acting_user=coordinator,
            participant=duplicate,
            purpose="service",
            given_by="self",
            method="written",
        )
        document = documents.consent_document_attach(
            acting_user=coordinator,
            consent=consent,
            upload=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        )
        kept_request = make_request(harbor, keep)
        duplicate_request = make_request(harbor, duplicate)
        older = timezone.now() - timezone.timedelta(days=20)
        MatchRequest.objects.filter(pk=duplicate_request.pk).update(waiting_since=older)

        services.participant_merge(acting_user=coordinator, keep=keep, duplicate=duplicate)

        assert Referral.objects.get(pk=referral.pk).participant_id == keep.pk
        assert ConsentDocument.objects.get(pk=document.pk).participant_id == keep.pk
        # One open request per program: the kept one holds the earlier place in the queue.
        duplicate_request.refresh_from_db()
        kept_request.refresh_from_db()
        assert duplicate_request.status == RequestStatus.WITHDRAWN
        assert duplicate_request.participant_id == keep.pk
        assert kept_request.status == RequestStatus.WAITING
        assert kept_request.waiting_since == older
        # Nothing about the person is left pointing at the merged-away record.
        for relation in Participant._meta.related_objects:
            if relation.related_model is Participant:
                continue
            field = relation.field.name
            assert not relation.related_model._base_manager.filter(**{field: duplicate}).exists(), relation


def test_anonymising_after_a_merge_removes_the_moved_forms(harbor: Any) -> None:
    coordinator = harbor.user("coordinator")
    with scopes_disabled():
        keep = make_person(harbor, "Robin")
        duplicate = make_person(harbor, "Robbie")
        consent = services.consent_grant(
            acting_user=coordinator, participant=duplicate, purpose="service", given_by="self", method="written"
        )
        documents.consent_document_attach(
            acting_user=coordinator,
            consent=consent,
            upload=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        )
        services.participant_merge(acting_user=coordinator, keep=keep, duplicate=duplicate)
        rights.participant_anonymise(acting_user=harbor.user("admin"), participant=keep)
        assert not ConsentDocument.objects.filter(organisation=harbor.organisation).exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda t, p: services.participant_update(acting_user=t.user("coordinator"), participant=p, pronouns="they"),
        lambda t, p: services.participant_set_status(acting_user=t.user("coordinator"), participant=p, status="active"),
        lambda t, p: services.participant_assign_peer(
            acting_user=t.user("coordinator"), participant=p, peer=t.user("peer")
        ),
        lambda t, p: services.guardian_create(acting_user=t.user("coordinator"), participant=p, name="Ana"),
        lambda t, p: services.family_link_create(
            acting_user=t.user("coordinator"), family_member=p, relationship="parent", loved_one_name="Ana"
        ),
        lambda t, p: services.participant_set_experiences(
            acting_user=t.user("coordinator"), participant=p, selections={}
        ),
        lambda t, p: services.participant_merge(
            acting_user=t.user("coordinator"), keep=make_person(t, "Other"), duplicate=p
        ),
    ],
    ids=["update", "reopen", "assign_peer", "guardian", "family_link", "experiences", "merge"],
)
def test_a_record_the_person_asked_to_erase_takes_no_new_writes(harbor: Any, write: Any) -> None:
    with scopes_disabled():
        person = make_person(harbor, "Robin")
        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=person)
        person.refresh_from_db()
        assert person.erasure_requested_at is not None and person.anonymised_at is None
        before = (person.pronouns, person.status, person.assigned_peer_id)
        with pytest.raises(ValidationError) as error:
            write(harbor, person)
        assert "restricted" in str(error.value)
        person.refresh_from_db()
        assert (person.pronouns, person.status, person.assigned_peer_id) == before


def test_erasure_withdraws_waiting_requests_and_anonymising_clears_their_notes(harbor: Any) -> None:
    from alongside.matching.models import Match, MatchStatus
    from alongside.matching.services import match_propose
    from tests.matching.helpers import make_peer

    with scopes_disabled():
        person = make_person(harbor, "Robin")
        other = make_person(harbor, "Kim")
        request = make_request(harbor, person, note="Prefers evenings after work")
        other_request = make_request(harbor, other)
        peer = make_peer(harbor, "Jo")
        match_propose(acting_user=harbor.user("coordinator"), request=other_request, peer=peer)

        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=person)
        request.refresh_from_db()
        assert request.status == RequestStatus.WITHDRAWN
        assert request.note == "Prefers evenings after work"  # kept until anonymised

        rights.participant_erasure_request(
            acting_user=harbor.user("admin"), participant=person, override_retention=True
        )
        request.refresh_from_db()
        assert request.note == "" and list(request.experiences.all()) == []
        # Another person's proposal is untouched.
        assert Match.objects.get(request=other_request).status == MatchStatus.PROPOSED


def test_the_access_history_includes_what_other_apps_did_for_the_person(harbor: Any) -> None:
    with scopes_disabled():
        person = make_person(harbor, "Robin")
        make_request(harbor, person)
        other = make_person(harbor, "Kim")
        make_request(harbor, other)
        what = [event.what for event in rights.access_history(person)]
        assert what.count("Asked for a peer supporter for you") == 1
