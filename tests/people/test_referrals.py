"""Care-team referrals: creation and its checks, the status steps, the follow-up clocks, the
follow-up rates, what the referrer may see, encryption of the reason and the audit rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people import referrals, services
from alongside.people.models import (
    Consent,
    Participant,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DISCHARGE = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def person(tenant: Any, name: str = "Robin") -> Participant:
    return services.participant_create(
        acting_user=tenant.user("coordinator"), organisation=tenant.organisation, preferred_name=name
    )


def partner(tenant: Any, name: str = "Bayview Hospital") -> PartnerOrganisation:
    return PartnerOrganisation.objects.create(organisation=tenant.organisation, name=name, kind="hospital")


def grant(tenant: Any, participant: Participant, purpose: str = "service", **kwargs: Any) -> Consent:
    return services.consent_grant(
        acting_user=tenant.user("coordinator"),
        participant=participant,
        purpose=purpose,
        given_by="self",
        method="e_signature",
        signature=participant.preferred_name,
        **kwargs,
    )


def refer(tenant: Any, participant: Participant, **kwargs: Any) -> Referral:
    kwargs.setdefault("reason", "Leaving the inpatient unit, wants someone who has been there")
    kwargs.setdefault("urgency", "soon")
    kwargs.setdefault("consent_attested", True)
    return referrals.referral_create(
        acting_user=tenant.user("coordinator"), organisation=tenant.organisation, participant=participant, **kwargs
    )


def advance(tenant: Any, referral: Referral, status: str) -> Referral:
    return referrals.referral_advance(acting_user=tenant.user("peer"), referral=referral, status=status)


def contact(tenant: Any, participant: Participant, at: datetime) -> None:
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        services.contact_record_create(
            acting_user=tenant.user("peer"),
            participant=participant,
            organisation=tenant.organisation,
            service_model="referral",
            occurred_at=at,
            duration_minutes=20,
            mode="phone",
        )


def counts() -> tuple[int, int, int]:
    return (Referral.objects.count(), ReferralEvent.objects.count(), AuditEvent.objects.count())


# --- Creation ---------------------------------------------------------------------------------


def test_create_stamps_receipt_writes_an_event_and_audits(harbor: Any) -> None:
    robin = person(harbor)
    bayview = partner(harbor)
    consent = grant(harbor, robin, "share_referrer", recipient="Bayview Hospital")
    before = AuditEvent.objects.count()
    with time_machine.travel(T0, tick=False):
        referral = refer(
            harbor,
            robin,
            partner=bayview,
            referrer=harbor.user("referrer"),
            discharge_date=DISCHARGE,
            consent=consent,
        )
    assert referral.status == ReferralStatus.RECEIVED and referral.received_at == T0
    assert (referral.first_attempt_at, referral.engaged_at, referral.closed_at) == (None, None, None)
    assert [(e.status, e.at, e.by) for e in referral.events.all()] == [("received", T0, harbor.user("coordinator"))]
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and (event.action, event.object_id) == ("referral.create", str(referral.pk))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("no_attestation", "consent_attested"),
        ("other_org_participant", "participant"),
        ("other_org_partner", "partner"),
        ("other_org_consent", "consent"),
        ("other_participant_consent", "consent"),
        ("not_a_referrer", "referrer"),
        ("bad_urgency", "urgency"),
        ("no_reason", "reason"),
    ],
)
def test_bad_input_writes_nothing(harbor: Any, riverbend: Any, bad: str, field: str) -> None:
    robin = person(harbor)
    kwargs: dict[str, Any] = {}
    target = robin
    if bad == "no_attestation":
        kwargs["consent_attested"] = False
    elif bad == "other_org_participant":
        target = person(riverbend, "Sam")
    elif bad == "other_org_partner":
        kwargs["partner"] = partner(riverbend)
    elif bad == "other_org_consent":
        kwargs["consent"] = grant(riverbend, person(riverbend, "Sam"))
    elif bad == "other_participant_consent":
        kwargs["consent"] = grant(harbor, person(harbor, "Alex"))
    elif bad == "not_a_referrer":
        kwargs["referrer"] = riverbend.user("referrer")
    elif bad == "bad_urgency":
        kwargs["urgency"] = "yesterday"
    elif bad == "no_reason":
        kwargs["reason"] = "   "
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        refer(harbor, target, **kwargs)
    assert field in excinfo.value.message_dict
    assert counts() == before


def test_a_peer_is_not_a_referrer(harbor: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        refer(harbor, person(harbor), referrer=harbor.user("peer"))
    assert "referrer" in excinfo.value.message_dict


def test_reason_is_ciphertext_in_the_raw_column(harbor: Any) -> None:
    referral = refer(harbor, person(harbor), reason="Second admission this year for psychosis")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reason FROM people_referral WHERE id = %s",
            [referral.pk.hex if connection.vendor == "sqlite" else referral.pk],
        )
        raw = cursor.fetchone()[0]
    assert "psychosis" not in raw and raw.startswith("gAAAA")
    assert Referral.objects.get(pk=referral.pk).reason == "Second admission this year for psychosis"


# --- Status steps -----------------------------------------------------------------------------

ALL = [s.value for s in ReferralStatus]
ALLOWED = {
    "received": {"contact_attempted", "declined", "unreachable"},
    "contact_attempted": {"contact_attempted", "engaged", "declined", "unreachable"},
    "engaged": {"handed_back", "declined"},
    "handed_back": set(),
    "declined": set(),
    "unreachable": set(),
}
PATH_TO = {
    "received": [],
    "contact_attempted": ["contact_attempted"],
    "engaged": ["contact_attempted", "engaged"],
    "handed_back": ["contact_attempted", "engaged", "handed_back"],
    "declined": ["declined"],
    "unreachable": ["unreachable"],
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("new", ALL)
def test_every_transition(harbor: Any, current: str, new: str) -> None:
    referral = refer(harbor, person(harbor))
    for step in PATH_TO[current]:
        referral = advance(harbor, referral, step)
    assert referral.status == current
    before = counts()
    if new in ALLOWED[current]:
        referral = advance(harbor, referral, new)
        assert Referral.objects.get(pk=referral.pk).status == new
        assert counts() == (before[0], before[1] + 1, before[2] + 1)
        event = AuditEvent.objects.order_by("-id").first()
        assert event is not None and (event.action, event.object_id) == (f"referral.status.{new}", str(referral.pk))
    else:
        with pytest.raises(ValidationError) as excinfo:
            advance(harbor, referral, new)
        assert "status" in excinfo.value.message_dict
        assert counts() == before
        assert Referral.objects.get(pk=referral.pk).status == current


def test_unknown_status_is_refused(harbor: Any) -> None:
    referral = refer(harbor, person(harbor))
    with pytest.raises(ValidationError):
        advance(harbor, referral, "teleported")


def test_timestamps_and_history(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor))
    t1, t2, t3, t4 = (T0 + timedelta(hours=h) for h in (5, 30, 50, 400))
    with time_machine.travel(t1, tick=False):
        referral = advance(harbor, referral, "contact_attempted")
    with time_machine.travel(t2, tick=False):
        referral = advance(harbor, referral, "contact_attempted")  # another attempt
    assert referral.first_attempt_at == t1  # the first attempt is kept
    with time_machine.travel(t3, tick=False):
        referral = advance(harbor, referral, "engaged")
    assert (referral.engaged_at, referral.closed_at) == (t3, None)
    with time_machine.travel(t4, tick=False):
        referral = advance(harbor, referral, "handed_back")
    referral.refresh_from_db()
    assert (referral.received_at, referral.first_attempt_at, referral.engaged_at, referral.closed_at) == (
        T0,
        t1,
        t3,
        t4,
    )
    assert [(e.status, e.at) for e in referral.events.all()] == [
        ("received", T0),
        ("contact_attempted", t1),
        ("contact_attempted", t2),
        ("engaged", t3),
        ("handed_back", t4),
    ]
    assert {e.by for e in referral.events.exclude(status="received")} == {harbor.user("peer")}


@pytest.mark.parametrize("final", ["declined", "unreachable"])
def test_closing_without_engagement_stamps_closed_at(harbor: Any, final: str) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor))
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        referral = advance(harbor, referral, final)
    assert referral.closed_at == T0 + timedelta(days=3)
    assert referral.first_attempt_at is None and referral.engaged_at is None


# --- Clocks -----------------------------------------------------------------------------------


def test_clock_due_times(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        with_discharge = refer(harbor, person(harbor), discharge_date=DISCHARGE)
        without = refer(harbor, person(harbor, "Sam"))
    assert referrals.first_attempt_due(with_discharge) == T0 + timedelta(hours=48)
    assert referrals.follow_up_7_due(with_discharge) == date(2026, 3, 9)
    assert referrals.follow_up_30_due(with_discharge) == date(2026, 4, 1)
    assert referrals.follow_up_7_due(without) is None and referrals.follow_up_30_due(without) is None


def test_first_attempt_clock(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor))
    assert referrals.overdue(referral, T0 + timedelta(hours=48)) == []
    assert referrals.overdue(referral, T0 + timedelta(hours=48, seconds=1)) == ["first_attempt"]
    with time_machine.travel(T0 + timedelta(hours=60), tick=False):
        referral = advance(harbor, referral, "contact_attempted")
    assert referrals.overdue(referral, T0 + timedelta(hours=61)) == []


def test_follow_up_clocks_without_contact(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor), discharge_date=DISCHARGE)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        referral = advance(harbor, referral, "contact_attempted")
    day = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # the 7th day itself is still in time
    assert referrals.overdue(referral, day) == []
    assert referrals.overdue(referral, day + timedelta(hours=2)) == ["follow_up_7"]
    assert referrals.overdue(referral, datetime(2026, 4, 2, 1, 0, tzinfo=UTC)) == ["follow_up_7", "follow_up_30"]


def test_a_contact_in_the_window_meets_the_clocks(harbor: Any) -> None:
    robin = person(harbor)
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, robin, discharge_date=DISCHARGE)
        referral = advance(harbor, referral, "contact_attempted")
    late = datetime(2026, 4, 5, tzinfo=UTC)
    contact(harbor, robin, datetime(2026, 2, 20, 12, tzinfo=UTC))  # before discharge: does not count
    assert referrals.overdue(referral, late) == ["follow_up_7", "follow_up_30"]
    contact(harbor, robin, datetime(2026, 3, 20, 12, tzinfo=UTC))  # day 18: meets only the 30-day clock
    assert referrals.overdue(referral, late) == ["follow_up_7"]
    contact(harbor, robin, datetime(2026, 3, 9, 12, tzinfo=UTC))  # day 7
    assert referrals.overdue(referral, late) == []


def test_engagement_in_time_meets_the_follow_up_clocks(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor), discharge_date=DISCHARGE)
        referral = advance(harbor, referral, "contact_attempted")
    with time_machine.travel(datetime(2026, 3, 12, tzinfo=UTC), tick=False):
        referral = advance(harbor, referral, "engaged")  # day 10: late for 7, in time for 30
    assert referrals.overdue(referral, datetime(2026, 4, 5, tzinfo=UTC)) == ["follow_up_7"]


def test_closed_referrals_have_no_running_clocks(harbor: Any) -> None:
    with time_machine.travel(T0, tick=False):
        referral = refer(harbor, person(harbor), discharge_date=DISCHARGE)
        referral = advance(harbor, referral, "declined")
    assert referrals.overdue(referral, datetime(2026, 5, 1, tzinfo=UTC)) == []


def test_overdue_list_in_a_fixed_number_of_queries(harbor: Any, riverbend: Any) -> None:
    with time_machine.travel(T0, tick=False):
        on_time = refer(harbor, person(harbor, "OnTime"), discharge_date=DISCHARGE)
        on_time = advance(harbor, on_time, "contact_attempted")
        no_attempt = refer(harbor, person(harbor, "NoAttempt"), discharge_date=DISCHARGE)
        closed = refer(harbor, person(harbor, "Closed"))
        advance(harbor, closed, "unreachable")
        refer(riverbend, person(riverbend, "Elsewhere"))
    contact(harbor, on_time.participant, datetime(2026, 3, 4, 12, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 3, 12, tzinfo=UTC), tick=False):
        fresh = refer(harbor, person(harbor, "Fresh"))
    now = datetime(2026, 3, 11, tzinfo=UTC)
    with CaptureQueriesContext(connection) as queries:
        result = referrals.overdue_referrals(harbor.organisation, now)
    assert [(o.referral.pk, o.clocks) for o in result] == [
        (no_attempt.pk, ["first_attempt", "follow_up_7"]),
        (fresh.pk, ["first_attempt"]),
    ]
    assert len(queries) <= 2
    for _ in range(3):
        with time_machine.travel(T0, tick=False):
            refer(harbor, person(harbor, "More"), discharge_date=DISCHARGE)
    with CaptureQueriesContext(connection) as more_queries:
        assert len(referrals.overdue_referrals(harbor.organisation, now)) == 5
    assert len(more_queries) == len(queries)


# --- Follow-up rates --------------------------------------------------------------------------


def test_follow_up_rates_hand_computed(harbor: Any, riverbend: Any) -> None:
    # Window [1 Mar, 1 Apr); today 15 Apr so only discharges on or before 16 Mar count.
    people = {name: person(harbor, name) for name in ("A", "B", "C", "D", "E", "F")}
    with time_machine.travel(T0, tick=False):
        refer(harbor, people["A"], discharge_date=date(2026, 3, 1))  # contact day 3: 7 and 30
        refer(harbor, people["B"], discharge_date=date(2026, 3, 5))  # contact day 20: 30 only
        refer(harbor, people["C"], discharge_date=date(2026, 3, 10))  # no contact
        refer(harbor, people["D"], discharge_date=date(2026, 3, 20))  # not yet 30 days past: out
        refer(harbor, people["E"], discharge_date=date(2026, 2, 27))  # before the window: out
        refer(harbor, people["F"], discharge_date=date(2026, 3, 16))  # contact only before discharge
        refer(harbor, people["F"], discharge_date=None)  # no discharge: out
        refer(riverbend, person(riverbend, "R"), discharge_date=date(2026, 3, 2))  # other org: out
    contact(harbor, people["A"], datetime(2026, 3, 4, 10, tzinfo=UTC))
    contact(harbor, people["B"], datetime(2026, 3, 25, 10, tzinfo=UTC))
    contact(harbor, people["D"], datetime(2026, 3, 21, 10, tzinfo=UTC))
    contact(harbor, people["E"], datetime(2026, 2, 28, 10, tzinfo=UTC))
    contact(harbor, people["F"], datetime(2026, 3, 15, 10, tzinfo=UTC))
    rates = referrals.follow_up_rates(
        harbor.organisation, start=date(2026, 3, 1), end=date(2026, 4, 1), today=date(2026, 4, 15)
    )
    assert rates == referrals.FollowUpRates(seven_day=(1, 4), thirty_day=(2, 4))


# --- What the referrer sees -------------------------------------------------------------------


def test_referrer_visibility_follows_consent(harbor: Any) -> None:
    robin = person(harbor)
    referrer = harbor.user("referrer")
    referral = refer(harbor, robin, referrer=referrer, partner=partner(harbor))
    assert not referrals.referrer_may_see_status(referral)
    grant(harbor, robin, "share_referrer", recipient="Bayview Hospital")  # names the partner, not the referrer
    assert not referrals.referrer_may_see_status(referral)
    consent = grant(harbor, robin, "share_referrer", recipient=referrer.display_name)
    assert referrals.referrer_may_see_status(referral)
    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=consent)
    assert not referrals.referrer_may_see_status(referral)


def test_partner_visibility_without_a_named_referrer(harbor: Any) -> None:
    robin = person(harbor)
    referral = refer(harbor, robin, partner=partner(harbor))
    assert not referrals.referrer_may_see_status(referral)
    consent = grant(harbor, robin, "share_referrer", recipient="bayview hospital")
    assert referrals.referrer_may_see_status(referral)
    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=consent)
    assert not referrals.referrer_may_see_status(referral)
    assert not referrals.referrer_may_see_status(refer(harbor, robin))  # nobody to tell


# --- Added with the referral pages ------------------------------------------------------------


@pytest.mark.parametrize("bad", ["other_purpose", "withdrawn"])
def test_the_consent_on_a_referral_is_a_current_consent_to_share_updates(harbor: Any, bad: str) -> None:
    robin = person(harbor)
    if bad == "other_purpose":
        consent = grant(harbor, robin, "service")
    else:
        consent = grant(harbor, robin, "share_referrer", recipient="Bayview Hospital")
        services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=consent)
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        refer(harbor, robin, consent=consent)
    assert "consent" in excinfo.value.message_dict
    assert counts() == before


def test_an_inactive_partner_and_an_overlong_reason_are_refused(harbor: Any) -> None:
    closed = PartnerOrganisation.objects.create(organisation=harbor.organisation, name="Closed", is_active=False)
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        refer(harbor, person(harbor), partner=closed, reason="x" * (referrals.REASON_MAX_LENGTH + 1))
    assert set(excinfo.value.message_dict) == {"partner", "reason"}
    assert counts()[0:2] == before[0:2]


def test_submit_with_a_new_person_and_a_signed_form_is_all_or_nothing(harbor: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from alongside.people.models import ConsentDocument

    referrer = harbor.user("referrer")
    pdf = b"%PDF-1.4\n%%EOF\n"
    # A twelve-year-old cannot give this consent alone: everything made on the way is rolled back.
    today = date.today()  # noqa: DTZ011 - a date of birth, not a moment
    before = (counts(), Participant.objects.count(), Consent.objects.count(), ConsentDocument.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        referrals.referral_submit(
            acting_user=referrer,
            organisation=harbor.organisation,
            new_person={
                "preferred_name": "Young",
                "phone": "555-0100",
                "date_of_birth": today.replace(year=today.year - 12),
            },
            referrer=referrer,
            reason="Support after discharge",
            urgency="soon",
            consent_attested=True,
            consent_document=SimpleUploadedFile("form.pdf", pdf, content_type="application/pdf"),
        )
    assert set(excinfo.value.message_dict) == {"consent_document"}
    assert (counts(), Participant.objects.count(), Consent.objects.count(), ConsentDocument.objects.count()) == before

    referral = referrals.referral_submit(
        acting_user=referrer,
        organisation=harbor.organisation,
        new_person={"preferred_name": "Adult", "email": "ADULT@example.org"},
        referrer=referrer,
        reason="Support after discharge",
        urgency="soon",
        consent_attested=True,
        consent_document=SimpleUploadedFile("form.pdf", pdf, content_type="application/pdf"),
    )
    assert referral.participant.source == "referral" and referral.participant.email == "adult@example.org"
    assert referral.consent is not None and referral.consent.recipient == referrer.display_name
    assert referrals.referrer_may_see_status(referral)


def test_partner_services_check_and_audit(harbor: Any, riverbend: Any) -> None:
    coordinator = harbor.user("coordinator")
    partner = referrals.partner_create(
        acting_user=coordinator, organisation=harbor.organisation, name=" Bayview ", kind="hospital"
    )
    assert partner.name == "Bayview"
    with pytest.raises(ValidationError) as excinfo:
        referrals.partner_create(acting_user=coordinator, organisation=harbor.organisation, name="BAYVIEW")
    assert "name" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        referrals.partner_update(acting_user=coordinator, partner=partner, kind="spaceship")
    for outsider in (harbor.user("peer"), riverbend.user("referrer")):
        with pytest.raises(ValidationError) as excinfo:
            referrals.partner_set_referrers(acting_user=coordinator, partner=partner, referrers=[outsider])
        assert "referrers" in excinfo.value.message_dict
    referrals.partner_set_referrers(acting_user=coordinator, partner=partner, referrers=[harbor.user("referrer")])
    assert list(referrals.partners_of_referrer(harbor.organisation, harbor.user("referrer"))) == [partner]
    actions = list(AuditEvent.objects.filter(object_id=str(partner.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["partner.create", "partner.set_referrers"]
