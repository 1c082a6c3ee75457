"""The people in the demo and in the benchmark seed: idempotent, consent given by the right person,
every organisation filled, and the audit chain whole afterwards."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from alongside.accounts.models import Organisation, Role
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope, unscoped
from alongside.people import services
from alongside.people.demo import DEMO_PEOPLE
from alongside.people.models import (
    SHARING_PURPOSES,
    Consent,
    ConsentGivenBy,
    ConsentPurpose,
    ContactRecord,
    Enrolment,
    FamilyLink,
    Guardian,
    Participant,
    ParticipantExperience,
    ParticipantStatus,
    PeerProfile,
)

pytestmark = pytest.mark.django_db

PEOPLE_MODELS = (
    Participant,
    Enrolment,
    Consent,
    ContactRecord,
    FamilyLink,
    Guardian,
    ParticipantExperience,
    PeerProfile,
)


def _counts() -> dict[str, int]:
    with unscoped("test: totals across both demo organisations"):
        counts = {model.__name__: model.objects.count() for model in PEOPLE_MODELS}
        counts["withdrawn"] = Consent.objects.filter(withdrawn_at__isnull=False).count()
    counts["audit"] = AuditEvent.objects.count()
    return counts


def _verify() -> None:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.fixture
def demo(settings: Any) -> dict[str, int]:
    settings.DEMO = True
    out = StringIO()
    call_command("demo", stdout=out)
    assert "peer2@harbor.demo" in out.getvalue()  # the logins are still printed
    return _counts()


# --- Demo ---------------------------------------------------------------------------------------


def test_demo_is_idempotent(demo: dict[str, int]) -> None:
    assert demo["Participant"] >= 40 and demo["ContactRecord"] >= 150
    call_command("demo", "--quiet-logins", stdout=StringIO())
    assert _counts() == demo
    _verify()


def test_demo_fills_both_organisations(demo: dict[str, int]) -> None:
    for spec in DEMO_PEOPLE:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            people = Participant.objects.all()
            statuses = set(people.values_list("status", flat=True))
            assert statuses == set(ParticipantStatus.values)
            assert all(p.closed_reason for p in people.filter(status=ParticipantStatus.CLOSED))
            # The intake queue: enquiries waiting from today up to nine days.
            waits = sorted((timezone.now() - p.created_at).days for p in people.filter(status="enquiry"))
            assert waits[0] == 0 and 8 <= waits[-1] <= 9
            # Caseloads: every demo peer supporter has people and a profile written in the first person.
            for key in spec.profiles:
                peer = organisation.memberships.get(user__email=f"{key}@{spec.slug}.demo", role=Role.PEER).user
                assert people.filter(assigned_peer=peer, status=ParticipantStatus.ACTIVE).exists()
                profile = PeerProfile.objects.get(user=peer)
                assert profile.bio.startswith(("I", "My ")) and profile.shared_experiences.exists()
            # Contacts were logged by the person's peer supporter (or by the one they had in a mentorship
            # that has since closed: matching/demo.py), within the last 90 days. Warm-line calls and
            # chats are mostly anonymous (warmline/demo_contacts.py), so they are left out here.
            from alongside.matching.models import Match

            ended = set(Match.objects.filter(status="closed").values_list("participant_id", "peer_id"))
            for contact in ContactRecord.objects.exclude(service_model="warmline").select_related("participant"):
                assert contact.participant is not None
                assert contact.peer_id == contact.participant.assigned_peer_id or (
                    (contact.participant_id, contact.peer_id) in ended
                )
                assert (timezone.now() - contact.occurred_at).days <= 90
            for p in people.filter(status=ParticipantStatus.ACTIVE):
                assert 2 <= ContactRecord.objects.filter(participant=p).count() <= 12
            # Every purpose, a withdrawal, and a Part 2 sharing consent with its elements.
            assert set(Consent.objects.values_list("purpose", flat=True)) == set(ConsentPurpose.values)
            assert Consent.objects.filter(withdrawn_at__isnull=False).exists()
            part2 = Consent.objects.get(part2=True)
            assert part2.participant.part2 and part2.purpose in SHARING_PURPOSES
            assert part2.part2_information and part2.part2_discloser and part2.part2_expiry_event
            assert services.consent_covers(part2.participant, part2.purpose, recipient=part2.recipient)
            # Families: linked to an enrolled loved one, and to one known only by first name.
            links = list(FamilyLink.objects.all())
            assert any(link.loved_one_id for link in links) and any(not link.loved_one_id for link in links)
            assert ParticipantExperience.objects.filter(use_for_matching=True).exists()


def test_demo_youth_consent_follows_the_rules(demo: dict[str, int]) -> None:
    minors = 0
    for spec in DEMO_PEOPLE:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            for participant in Participant.objects.filter(date_of_birth__isnull=False):
                rule = services.consent_rule(participant)
                if not rule.is_minor:
                    continue
                minors += 1
                assert services.consent_covers(participant, ConsentPurpose.SERVICE), participant.preferred_name
                for consent in Consent.objects.filter(participant=participant, withdrawn_at__isnull=True):
                    if rule.may_consent_alone:
                        # Only the young person's own consent counts once they may give it.
                        assert consent.given_by == ConsentGivenBy.SELF and consent.guardian is None
                    else:
                        assert consent.given_by == ConsentGivenBy.GUARDIAN
                        assert consent.guardian is not None and consent.guardian.is_legal_guardian
                        assert consent.guardian.participant_id == participant.pk
                # The youth program's age range holds for everyone enrolled.
                for enrolment in Enrolment.objects.filter(participant=participant).select_related("program"):
                    if enrolment.program.serves_youth and not enrolment.program.serves_adults:
                        age = services.participant_age(participant)
                        assert age is not None
                        assert organisation.youth_min_age <= age <= organisation.youth_max_age
    assert minors >= 6  # 13, 15 and 17 in each organisation
    ages = {}
    with unscoped("test: the demo's young people in both organisations"):
        for p in Participant.objects.filter(date_of_birth__isnull=False):
            ages.setdefault(p.organisation.slug, set()).add(services.participant_age(p))
    assert {13, 15, 17} <= ages["harbor"] and {13, 15, 17} <= ages["riverbend"]


def test_demo_referrals_at_every_stage(demo: dict[str, int]) -> None:
    from alongside.people import referrals
    from alongside.people.models import ConsentDocument, PartnerOrganisation, Referral, ReferralStatus

    now = timezone.now()
    for spec in DEMO_PEOPLE:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            referrer = organisation.memberships.get(user__email=f"referrer@{spec.slug}.demo").user
            partners = list(PartnerOrganisation.objects.all())
            assert any(referrer in p.referrers.all() for p in partners)
            assert all(p.is_active for p in partners if p.name != "Old Port Clinic")
            all_referrals = list(
                Referral.objects.select_related("participant__organisation", "partner", "referrer", "consent")
            )
            assert {r.status for r in all_referrals} == set(ReferralStatus.values)
            clocks = {r.participant.preferred_name: referrals.overdue(r, now) for r in all_referrals}
            # One received more than 48 hours ago without an attempt; one just in; a 7-day follow-up
            # overdue; one met by a contact two days after discharge.
            assert any("first_attempt" in c for c in clocks.values())
            assert any(r.status == "received" and not clocks[r.participant.preferred_name] for r in all_referrals)
            assert any("follow_up_7" in c for c in clocks.values())
            met = [
                r
                for r in all_referrals
                if r.discharge_date
                and r.status in ("engaged", "handed_back")
                and r.discharge_date <= timezone.localdate() - timedelta(days=8)
            ]
            assert met and all(referrals.referral_clocks(r, now)[1].state == referrals.CLOCK_MET for r in met)
            # Every step is timestamped in order, and none in the future.
            for r in all_referrals:
                times = [e.at for e in r.events.order_by("at")]
                assert times[0] == r.received_at and times == sorted(times) and times[-1] <= now
                assert [e.status for e in r.events.order_by("at")][0] == "received"
            # Some referrers see the status (one on an uploaded form), some do not, one withdrew.
            mine = [r for r in all_referrals if r.referrer_id == referrer.pk]
            visible = referrals.referrer_visibility(mine)
            assert any(visible.values()) and not all(visible.values())
            assert ConsentDocument.objects.filter(consent__in=[r.consent for r in mine if r.consent]).exists()
            assert any(r.consent and r.consent.withdrawn_at for r in mine)
            # People first met through a referral who declined or could not be reached are closed.
            for r in all_referrals:
                if r.status in ("declined", "unreachable") and r.participant.source == "referral":
                    assert r.participant.status == "closed"


def test_demo_audit_chain_verifies(demo: dict[str, int]) -> None:
    assert AuditEvent.objects.filter(action="contact.create").count() == demo["ContactRecord"]
    _verify()


# --- Seed ---------------------------------------------------------------------------------------


def test_small_seed_fills_every_organisation(settings: Any) -> None:
    settings.DEBUG = True  # the test runner turns DEBUG off; seed only runs in development
    out = StringIO()
    call_command("seed", "--size", "small", stdout=out)
    printed = dict(line.strip().rsplit(None, 1) for line in out.getvalue().splitlines() if line.startswith("  "))
    organisations = list(Organisation.objects.filter(slug__startswith="seed-"))
    assert len(organisations) == 3
    with unscoped("test: seeded totals"):
        assert printed["participants"] == str(Participant.objects.count())
        assert printed["contact records"] == str(ContactRecord.objects.count())
    for organisation in organisations:
        with tenant_scope(organisation):
            people = Participant.objects.all()
            peers = set(
                organisation.memberships.filter(role=Role.PEER, is_active=True).values_list("user_id", flat=True)
            )
            assert people.filter(status=ParticipantStatus.ENQUIRY, assigned_peer__isnull=True).exists()
            assigned = set(people.exclude(assigned_peer=None).values_list("assigned_peer", flat=True))
            assert assigned and assigned <= peers
            contacts = ContactRecord.objects.all()
            assert contacts.exists()
            assert set(contacts.values_list("peer", flat=True)) <= peers
            assert not contacts.exclude(participant__organisation=organisation).exists()
            sample = contacts.first()
            assert sample is not None and sample.notes in ("", "Checked in; doing okay.")  # decrypts
            assert (
                Consent.objects.filter(purpose=ConsentPurpose.SERVICE).count()
                == people.exclude(status=ParticipantStatus.ENQUIRY).count()
            )
    events = AuditEvent.objects.filter(action="seed.load_people")
    assert {e.organisation_id for e in events} == {o.pk for o in organisations} and events.count() == 3
    _verify()


def test_small_seed_has_referrals_at_every_step(settings: Any) -> None:
    from alongside.people import referrals
    from alongside.people.models import PartnerOrganisation, Referral, ReferralEvent

    settings.DEBUG = True
    out = StringIO()
    call_command("seed", "--size", "small", stdout=out)
    printed = dict(line.strip().rsplit(None, 1) for line in out.getvalue().splitlines() if line.startswith("  "))
    with unscoped("test: seeded referral totals"):
        assert printed["referrals"] == str(Referral.objects.count()) != "0"
        assert printed["referral steps"] == str(ReferralEvent.objects.count())
        assert printed["partners"] == str(PartnerOrganisation.objects.count())
    now = timezone.now()
    for organisation in Organisation.objects.filter(slug__startswith="seed-"):
        with tenant_scope(organisation):
            rows = list(Referral.objects.select_related("participant", "partner"))
            assert rows and all(
                r.participant.organisation_id == r.partner.organisation_id == organisation.pk for r in rows
            )
            assert PartnerOrganisation.objects.filter(referrers__isnull=False).exists()
            for r in rows:
                steps = list(r.events.order_by("at", "id").values_list("status", "at"))
                assert steps[0] == ("received", r.received_at) and steps[-1][0] == r.status
                assert all(at <= now for _s, at in steps)
                assert r.reason == "Leaving an inpatient stay; would like a peer supporter to reach out."
                assert referrals.overdue(r, now) is not None
