"""``/api/v1/organisations/{slug}/referrals``: who sees which referral, the referrer's view gated by the
person's consent (both ways, withdrawal at once, Part 2), creates for staff and referrers, bad input per
field (400 naming it, nothing written), Idempotency-Key, status steps (409 when not allowed), audit rows,
isolation, query budgets, and a schemathesis run over these operations with real ids."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.models import User
from alongside.api.models import IdempotencyKey
from alongside.audit.models import AuditEvent
from alongside.people import referrals, services
from alongside.people.api_referrals import statuses_shared
from alongside.people.models import (
    Consent,
    Guardian,
    Participant,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    Source,
)
from tests.api.helpers import API, ApiClient, audit_count, make_token
from tests.conftest import ROLES, Tenant
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]

STAFF = {"admin", "coordinator"}
CREATORS = {"admin", "coordinator", "referrer"}
REASON = "Leaving the ward on Friday; would like someone who has been there"
KEY = "5f1f0c9e-8a55-4b0e-9d0e-0c1a7e2b9d11"

LIST_KEYS = {
    "id",
    "participant",
    "partner",
    "referrer",
    "discharge_date",
    "urgency",
    "consent_attested",
    "consent_id",
    "received_at",
    "status_shared",
    "status",
    "first_attempt_at",
    "engaged_at",
    "closed_at",
    "clocks",
    "redisclosure_notice",
}
DETAIL_KEYS = LIST_KEYS | {"reason", "history"}
GATED = ("status", "first_attempt_at", "engaged_at", "closed_at")


def referrals_url(slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/referrals"


def referral_url(referral_id: Any, slug: str = "harbor") -> str:
    return f"{referrals_url(slug)}/{referral_id}"


def status_url(referral_id: Any, slug: str = "harbor") -> str:
    return f"{referral_url(referral_id, slug)}/status"


def counts() -> tuple[int, int, int, int]:
    with scopes_disabled():
        return (Referral.objects.count(), ReferralEvent.objects.count(), Participant.objects.count(), audit_count())


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


_names = itertools.count()


def person(tenant: Tenant, **fields: Any) -> Participant:
    fields.setdefault("preferred_name", f"Robin {next(_names)}")
    with scopes_disabled():
        return services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, **fields
        )


def partner(tenant: Tenant, name: str = "Bayview Hospital", referrers: tuple[User, ...] = ()) -> PartnerOrganisation:
    with scopes_disabled():
        found, _ = PartnerOrganisation.objects.get_or_create(
            organisation=tenant.organisation, name=name, defaults={"kind": "hospital"}
        )
        found.referrers.add(*referrers)
    return found


def another_referrer(tenant: Tenant, name: str = "Dr Other") -> User:
    with scopes_disabled():
        user = account_services.user_create(
            acting_user=None, email=f"other-referrer@{tenant.organisation.slug}.test", password="x" * 20, full_name=name
        )
        account_services.membership_grant(
            acting_user=None, organisation=tenant.organisation, user=user, role="referrer"
        )
    return user


def refer(tenant: Tenant, participant: Participant, **kwargs: Any) -> Referral:
    kwargs.setdefault("reason", REASON)
    kwargs.setdefault("urgency", "soon")
    kwargs.setdefault("consent_attested", True)
    kwargs.setdefault("referrer", tenant.user("referrer"))
    with scopes_disabled():
        return referrals.referral_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, participant=participant, **kwargs
        )


def advance(tenant: Tenant, referral: Referral, *steps: str) -> Referral:
    with scopes_disabled():
        for step in steps:
            referral = referrals.referral_advance(
                acting_user=tenant.user("coordinator"), referral=referral, status=step
            )
    return referral


def share(tenant: Tenant, participant: Participant, recipient: str, **kwargs: Any) -> Consent:
    kwargs.setdefault("given_by", "self")
    kwargs.setdefault("method", "e_signature")
    kwargs.setdefault("signature", participant.preferred_name)
    with scopes_disabled():
        return services.consent_grant(
            acting_user=tenant.user("coordinator"),
            participant=participant,
            purpose="share_referrer",
            recipient=recipient,
            **kwargs,
        )


def withdraw(tenant: Tenant, consent: Consent) -> None:
    with scopes_disabled():
        services.consent_withdraw(acting_user=tenant.user("coordinator"), consent=consent)


def _assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"], body
    assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])


@pytest.fixture
def sample(harbor: Tenant) -> Participant:
    return tenant_participant(harbor)


@pytest.fixture
def bayview(harbor: Tenant) -> PartnerOrganisation:
    return partner(harbor, referrers=(harbor.user("referrer"),))


@pytest.fixture
def referral(harbor: Tenant, sample: Participant, bayview: PartnerOrganisation) -> Referral:
    return refer(harbor, sample, partner=bayview, discharge_date=timezone.localdate())


@pytest.fixture
def referrer(harbor: Tenant, api_as: ApiAs) -> ApiClient:
    return api_as(harbor.user("referrer"))


@pytest.fixture
def admin(harbor: Tenant, api_as: ApiAs) -> ApiClient:
    return api_as(harbor.user("admin"))


# --- Tokens and roles -------------------------------------------------------------------------------


def test_no_token_is_401_everywhere_and_writes_nothing(harbor: Tenant, referral: Referral) -> None:
    before = counts()
    client = ApiClient()
    for response in (
        client.get(referrals_url()),
        client.post(referrals_url(), {"participant_id": str(referral.participant_id), "reason": "x"}),
        client.get(referral_url(referral.pk)),
        client.post(status_url(referral.pk), {"status": "contact_attempted"}),
        client.get(f"{referral_url(referral.pk)}/fhir"),
    ):
        assert response.status_code == 401
        assert response.json() == {"detail": "A valid API token is required."}
        assert "Sam Sample" not in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("role", ROLES)
def test_list_by_role(harbor: Tenant, referral: Referral, sample: Participant, api_as: ApiAs, role: str) -> None:
    others = refer(harbor, person(harbor, preferred_name="Kai Other"), referrer=another_referrer(harbor))
    response = api_as(harbor.user(role)).get(referrals_url())
    if role in STAFF:
        assert response.status_code == 200
        assert {item["id"] for item in response.json()["items"]} == {str(referral.pk), str(others.pk)}
    elif role == "referrer":
        assert response.status_code == 200
        assert [item["id"] for item in response.json()["items"]] == [str(referral.pk)]
        assert response.json()["count"] == 1
        assert "Kai Other" not in response.content.decode()
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to do this."}
        assert "Sam Sample" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_detail_by_role(harbor: Tenant, referral: Referral, api_as: ApiAs, role: str) -> None:
    client = api_as(harbor.user(role))
    response = client.get(referral_url(referral.pk))
    missing = client.get(referral_url(uuid.uuid4()))
    if role in STAFF | {"referrer"}:
        assert response.status_code == 200
        assert set(response.json()) == DETAIL_KEYS
        assert missing.status_code == 404
    else:
        assert response.status_code == missing.status_code == 403
        assert response.content == missing.content


def test_referrer_sees_only_their_own_and_others_look_missing(
    harbor: Tenant, referral: Referral, referrer: ApiClient
) -> None:
    theirs = refer(harbor, person(harbor, preferred_name="Kai Other"), referrer=another_referrer(harbor))
    unnamed = refer(harbor, person(harbor, preferred_name="Noor Unnamed"), referrer=None)
    missing = referrer.get(referral_url(uuid.uuid4()))
    for hidden in (theirs, unnamed):
        response = referrer.get(referral_url(hidden.pk))
        assert response.status_code == missing.status_code == 404
        assert response.content == missing.content
    assert referrer.get(referral_url(referral.pk)).status_code == 200


def test_outsider_gets_404_identical_to_missing(harbor: Tenant, riverbend: Tenant, referral: Referral) -> None:
    client = ApiClient(make_token(riverbend.user("admin")))
    before = counts()
    body = {"person": {"preferred_name": "Planted", "phone": "555 123 4567"}, "reason": "x", "consent_attested": True}
    pairs = [
        (client.get(referrals_url("harbor")), client.get(referrals_url("no-such-org"))),
        (client.post(referrals_url("harbor"), body), client.post(referrals_url("no-such-org"), body)),
        (client.get(referral_url(referral.pk, "harbor")), client.get(referral_url(referral.pk, "no-such-org"))),
        (client.get(referral_url(referral.pk, "riverbend")), client.get(referral_url(uuid.uuid4(), "riverbend"))),
        (
            client.post(status_url(referral.pk, "riverbend"), {"status": "contact_attempted"}),
            client.post(status_url(uuid.uuid4(), "riverbend"), {"status": "contact_attempted"}),
        ),
        (
            client.get(f"{referral_url(referral.pk, 'riverbend')}/fhir"),
            client.get(f"{referral_url(uuid.uuid4(), 'riverbend')}/fhir"),
        ),
    ]
    for foreign, missing in pairs:
        assert foreign.status_code == missing.status_code == 404
        assert foreign.content == missing.content
        for secret in ("Sam Sample", REASON):
            assert secret not in foreign.content.decode()
    assert counts() == before
    with scopes_disabled():
        assert Referral.objects.get(pk=referral.pk).status == "received"


# --- What staff see ---------------------------------------------------------------------------------


def test_staff_detail_has_clocks_reason_and_steps(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        referral = refer(harbor, sample, partner=bayview, discharge_date=date(2026, 3, 2), urgency="urgent")
    with time_machine.travel(t0 + timedelta(hours=3), tick=False):
        advance(harbor, referral, "contact_attempted")
    with time_machine.travel(t0 + timedelta(days=9), tick=False):
        data = admin.get(referral_url(referral.pk)).json()
    assert set(data) == DETAIL_KEYS
    assert data["participant"] == {"id": str(sample.pk), "preferred_name": "Sam Sample"}
    assert data["partner"] == {"id": str(bayview.pk), "name": "Bayview Hospital"}
    assert data["referrer"] == {"id": str(harbor.user("referrer").pk), "name": harbor.user("referrer").display_name}
    assert (data["urgency"], data["reason"], data["discharge_date"]) == ("urgent", REASON, "2026-03-02")
    assert data["status"] == "contact_attempted" and data["status_shared"] is False
    assert data["first_attempt_at"] == "2026-03-02T12:00:00Z"
    assert data["clocks"] == {
        "first_attempt_due": "2026-03-04T09:00:00Z",
        "follow_up_7_due": "2026-03-09",
        "follow_up_30_due": "2026-04-01",
        "overdue": ["follow_up_7"],
    }
    coordinator = harbor.user("coordinator")
    assert data["history"] == [
        {"status": "received", "at": "2026-03-02T09:00:00Z", "by_id": str(coordinator.pk)},
        {"status": "contact_attempted", "at": "2026-03-02T12:00:00Z", "by_id": str(coordinator.pk)},
    ]
    assert data["redisclosure_notice"] == ""


def test_reading_one_writes_exactly_one_view_row_without_content(
    harbor: Tenant, referral: Referral, api_as: ApiAs
) -> None:
    for role in ("coordinator", "referrer"):
        user = harbor.user(role)
        client = api_as(user)
        last = last_audit_id()
        response = client.get(referral_url(referral.pk))
        assert response.status_code == 200
        events = list(AuditEvent.objects.filter(id__gt=last))
        assert [(e.action, e.actor_id, e.actor_role, e.object_type, e.object_id) for e in events] == [
            ("referral.view", user.pk, role, "people.referral", str(referral.pk))
        ]
        assert events[0].request_id == response["X-Request-ID"]
        for field in AuditEvent._meta.concrete_fields:
            for content in ("Sam", "Leaving the ward"):
                assert content not in str(getattr(events[0], field.attname))


def test_lists_and_refusals_write_no_view_rows(harbor: Tenant, referral: Referral, api_as: ApiAs) -> None:
    admin, peer = api_as(harbor.user("admin")), api_as(harbor.user("peer"))
    last = last_audit_id()
    admin.get(referrals_url())
    peer.get(referral_url(referral.pk))
    admin.get(referral_url(uuid.uuid4()))
    assert not AuditEvent.objects.filter(id__gt=last).exists()


def test_list_items_leave_the_reason_out(harbor: Tenant, referral: Referral, admin: ApiClient) -> None:
    response = admin.get(referrals_url())
    assert all(set(item) == LIST_KEYS for item in response.json()["items"])
    assert REASON not in response.content.decode()


# --- The referrer's view, gated by consent --------------------------------------------------------


def _gated_off(data: dict[str, Any]) -> None:
    assert data["status_shared"] is False
    for name in GATED:
        assert data[name] is None, name
    assert data["clocks"]["overdue"] is None
    assert data["consent_id"] is None
    assert data["redisclosure_notice"] == ""


def test_referrer_sees_status_only_with_consent_and_withdrawal_is_immediate(
    harbor: Tenant, sample: Participant, referral: Referral, referrer: ApiClient
) -> None:
    advance(harbor, referral, "contact_attempted", "engaged")
    detail, listed = referrer.get(referral_url(referral.pk)).json(), referrer.get(referrals_url()).json()["items"][0]
    for data in (detail, listed):
        _gated_off(data)
    assert detail["history"] is None
    # What the referrer sent stays visible to them.
    assert detail["reason"] == REASON and detail["participant"]["preferred_name"] == "Sam Sample"
    assert detail["clocks"]["first_attempt_due"] and detail["clocks"]["follow_up_7_due"]

    consent = share(harbor, sample, harbor.user("referrer").display_name.upper())  # names match ignoring case
    detail, listed = referrer.get(referral_url(referral.pk)).json(), referrer.get(referrals_url()).json()["items"][0]
    for data in (detail, listed):
        assert data["status_shared"] is True
        assert data["status"] == "engaged"
        assert data["first_attempt_at"] and data["engaged_at"] and data["closed_at"] is None
        assert data["clocks"]["overdue"] == []
        assert data["consent_id"] is None
    assert [step["status"] for step in detail["history"]] == ["received", "contact_attempted", "engaged"]
    assert all(step["by_id"] is None for step in detail["history"])  # who on staff did it is not shared

    withdraw(harbor, consent)
    _gated_off(referrer.get(referral_url(referral.pk)).json())
    _gated_off(referrer.get(referrals_url()).json()["items"][0])


@pytest.mark.parametrize(
    "consent",
    [
        {"recipient": "Bayview Hospital"},  # the partner, not the referrer the referral names
        {"recipient": "Someone Else"},
        {"recipient": "<referrer>", "valid_until": "expired"},
    ],
    ids=["partner-not-referrer", "other-recipient", "expired"],
)
def test_consents_that_do_not_cover_the_referrer_share_nothing(
    harbor: Tenant, sample: Participant, referral: Referral, referrer: ApiClient, consent: dict[str, Any]
) -> None:
    recipient = harbor.user("referrer").display_name if consent["recipient"] == "<referrer>" else consent["recipient"]
    if consent.get("valid_until") == "expired":
        with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
            share(harbor, sample, recipient, valid_until=timezone.localdate() + timedelta(days=2))
    else:
        share(harbor, sample, recipient)
    _gated_off(referrer.get(referral_url(referral.pk)).json())
    _gated_off(referrer.get(referrals_url()).json()["items"][0])


def test_staff_see_whether_the_status_is_shared(
    harbor: Tenant, sample: Participant, referral: Referral, admin: ApiClient
) -> None:
    assert admin.get(referral_url(referral.pk)).json()["status_shared"] is False
    share(harbor, sample, harbor.user("referrer").display_name)
    assert admin.get(referral_url(referral.pk)).json()["status_shared"] is True
    assert admin.get(referrals_url()).json()["items"][0]["status_shared"] is True


def test_part2_disclosure_to_the_referrer_carries_the_notice(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient, admin: ApiClient
) -> None:
    pat = person(harbor, preferred_name="Pat Part Two", part2=True, email="pat@example.org")
    referral = refer(harbor, pat, partner=bayview)
    name = harbor.user("referrer").display_name
    # Staff see the notice; the referrer is not even told the record is Part 2 before consent.
    assert "42 CFR part 2" in admin.get(referral_url(referral.pk)).json()["redisclosure_notice"]
    _gated_off(referrer.get(referral_url(referral.pk)).json())
    # An ordinary consent cannot be recorded for a Part 2 record, and would not cover it.
    with pytest.raises(Exception, match="42 CFR Part 2"):
        share(harbor, pat, name)
    share(
        harbor,
        pat,
        name,
        part2=True,
        part2_information="Whether the person took up peer support and its status",
        part2_discloser="Harbor Peers",
        part2_expiry_event="End of the referral",
    )
    for data in (referrer.get(referral_url(referral.pk)).json(), referrer.get(referrals_url()).json()["items"][0]):
        assert data["status_shared"] is True and data["status"] == "received"
        assert "42 CFR part 2" in data["redisclosure_notice"]


def test_minor_who_may_consent_alone_is_covered_only_by_their_own_consent(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient
) -> None:
    today = timezone.localdate()
    teen = person(harbor, preferred_name="Teen", date_of_birth=today.replace(year=today.year - 16) - timedelta(days=3))
    referral = refer(harbor, teen, partner=bayview)
    with scopes_disabled():
        guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=teen, name="Parent")
    name = harbor.user("referrer").display_name
    with scopes_disabled():
        assert services.consent_rule(teen).may_consent_alone  # from 16 by default
    # A guardian's consent (written directly: the service would refuse it now) does not count.
    with scopes_disabled():
        Consent.objects.create(
            organisation=harbor.organisation,
            participant=teen,
            purpose="share_referrer",
            recipient=name,
            given_by="guardian",
            guardian=guardian,
            method="written",
            granted_at=timezone.now(),
        )
    _gated_off(referrer.get(referral_url(referral.pk)).json())
    share(harbor, teen, name)
    assert referrer.get(referral_url(referral.pk)).json()["status_shared"] is True


def test_bulk_sharing_check_agrees_with_the_one_by_one_rule(harbor: Tenant, bayview: PartnerOrganisation) -> None:
    """``statuses_shared`` (list pages) must answer exactly like ``referrer_may_see_status``."""
    name = harbor.user("referrer").display_name
    today = timezone.localdate()
    cases: list[Referral] = []

    def case(participant: Participant, **kwargs: Any) -> None:
        cases.append(refer(harbor, participant, **kwargs))

    plain = person(harbor)
    share(harbor, plain, name)
    case(plain, partner=bayview)
    case(plain, partner=bayview, referrer=None)  # recipient is then the partner's name: not covered
    case(person(harbor))  # no consent
    other = person(harbor)
    share(harbor, other, "Someone Else")
    case(other)
    withdrawn = person(harbor)
    withdraw(harbor, share(harbor, withdrawn, name))
    case(withdrawn)
    to_partner = person(harbor)
    share(harbor, to_partner, "Bayview Hospital")
    case(to_partner, partner=bayview, referrer=None)
    case(person(harbor), referrer=None)  # nobody to share with
    part2 = person(harbor, part2=True)
    share(
        harbor,
        part2,
        name,
        part2=True,
        part2_information="Status",
        part2_discloser="Harbor",
        valid_until=today + timedelta(days=30),
    )
    case(part2)
    part2_plain = person(harbor, part2=True)
    with scopes_disabled():  # an ordinary consent on a Part 2 record (recorded before it was marked Part 2)
        Consent.objects.create(
            organisation=harbor.organisation,
            participant=part2_plain,
            purpose="share_referrer",
            recipient=name,
            given_by="self",
            method="written",
            granted_at=timezone.now(),
        )
    case(part2_plain)
    child = person(harbor, date_of_birth=today.replace(year=today.year - 9))
    with scopes_disabled():
        guardian = Guardian.objects.create(organisation=harbor.organisation, participant=child, name="Parent")
    share(harbor, child, name, given_by="guardian", guardian=guardian, method="written", signature="")
    case(child)
    teen = person(harbor, date_of_birth=today.replace(year=today.year - 16) - timedelta(days=3))
    with scopes_disabled():  # a guardian's consent for a young person who may consent alone
        teen_guardian = Guardian.objects.create(organisation=harbor.organisation, participant=teen, name="Parent")
        Consent.objects.create(
            organisation=harbor.organisation,
            participant=teen,
            purpose="share_referrer",
            recipient=name,
            given_by="guardian",
            guardian=teen_guardian,
            method="written",
            granted_at=timezone.now(),
        )
    case(teen)
    with scopes_disabled():
        loaded = list(
            Referral.objects.filter(pk__in=[c.pk for c in cases]).select_related(
                "participant", "participant__organisation", "partner", "referrer"
            )
        )
        bulk = statuses_shared(loaded, at=timezone.now())
        one_by_one = {r.pk for r in loaded if referrals.referrer_may_see_status(r)}
    assert bulk == one_by_one
    assert len(bulk) == 4  # plain, to_partner, part2 and the child (by their guardian)


# --- Filters, paging and query budgets ------------------------------------------------------------


def test_filters_and_paging(harbor: Tenant, bayview: PartnerOrganisation, admin: ApiClient) -> None:
    other_partner = partner(harbor, "Eastside Clinic")
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    made = []
    for i in range(5):
        with time_machine.travel(t0 + timedelta(minutes=i), tick=False):
            made.append(
                refer(harbor, person(harbor), partner=bayview if i % 2 == 0 else other_partner, discharge_date=None)
            )
    with time_machine.travel(t0 + timedelta(hours=1), tick=False):
        advance(harbor, made[0], "contact_attempted")
        advance(harbor, made[1], "declined")
    with time_machine.travel(t0 + timedelta(hours=60), tick=False):
        everything = admin.get(referrals_url()).json()
        assert everything["count"] == 5
        assert [i["id"] for i in everything["items"]] == [str(r.pk) for r in reversed(made)]  # newest first
        by_status = admin.get(referrals_url(), {"status": "received"}).json()
        assert {i["id"] for i in by_status["items"]} == {str(r.pk) for r in made[2:]}
        by_partner = admin.get(referrals_url(), {"partner": str(other_partner.pk)}).json()
        assert {i["id"] for i in by_partner["items"]} == {str(made[1].pk), str(made[3].pk)}
        overdue = admin.get(referrals_url(), {"overdue": "true"}).json()
        assert overdue["count"] == 3 and {i["id"] for i in overdue["items"]} == {str(r.pk) for r in made[2:]}
        assert all(i["clocks"]["overdue"] == ["first_attempt"] for i in overdue["items"])
        on_time = admin.get(referrals_url(), {"overdue": "false"}).json()
        assert {i["id"] for i in on_time["items"]} == {str(made[0].pk), str(made[1].pk)}
        page = admin.get(referrals_url(), {"overdue": "true", "limit": 2, "offset": 1}).json()
        assert page["count"] == 3 and [i["id"] for i in page["items"]] == [str(made[3].pk), str(made[2].pk)]
        combined = admin.get(referrals_url(), {"overdue": "true", "partner": str(bayview.pk)}).json()
        assert {i["id"] for i in combined["items"]} == {str(made[2].pk), str(made[4].pk)}
        page = admin.get(referrals_url(), {"limit": 2, "offset": 4}).json()
        assert page["count"] == 5 and [i["id"] for i in page["items"]] == [str(made[0].pk)]


def test_a_referrers_filters_match_only_what_they_may_see(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient
) -> None:
    name = harbor.user("referrer").display_name
    shared_person, private_person = person(harbor), person(harbor)
    share(harbor, shared_person, name)
    shared = refer(harbor, shared_person, partner=bayview)
    private = refer(harbor, private_person, partner=bayview)
    assert referrer.get(referrals_url()).json()["count"] == 2
    for params in ({"status": "received"}, {"overdue": "false"}):
        items = referrer.get(referrals_url(), params).json()["items"]
        assert [i["id"] for i in items] == [str(shared.pk)], params
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        items = referrer.get(referrals_url(), {"overdue": "true"}).json()["items"]
    assert [i["id"] for i in items] == [str(shared.pk)]
    assert str(private.pk) not in json.dumps(referrer.get(referrals_url(), {"status": "received"}).json())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": "RECEIVED"}, "status"),
        ({"partner": "bayview"}, "partner"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_list_parameters_are_400(harbor: Tenant, admin: ApiClient, params: dict[str, Any], field: str) -> None:
    _assert_field_error(admin.get(referrals_url(), params), field)


def test_foreign_partner_filter_finds_nothing(harbor: Tenant, riverbend: Tenant, referral: Referral) -> None:
    foreign = partner(riverbend, "Riverbend General")
    client = ApiClient(make_token(harbor.user("admin")))
    assert client.get(referrals_url(), {"partner": str(foreign.pk)}).json() == {"count": 0, "items": []}


def _make_referrals(tenant: Tenant, bayview: PartnerOrganisation, n: int) -> None:
    name = tenant.user("referrer").display_name
    for i in range(n):
        participant = person(tenant, part2=(i % 3 == 0))
        if i % 2 == 0 and not participant.part2:
            share(tenant, participant, name)
        referral = refer(tenant, participant, partner=bayview, discharge_date=timezone.localdate() - timedelta(days=i))
        if i % 4 == 1:
            advance(tenant, referral, "contact_attempted")


@pytest.mark.parametrize("role", ["admin", "referrer"])
@pytest.mark.parametrize("params", [{}, {"overdue": "true"}, {"status": "received"}], ids=["all", "overdue", "status"])
def test_list_query_count_does_not_grow_with_the_page(
    harbor: Tenant, bayview: PartnerOrganisation, api_as: ApiAs, role: str, params: dict[str, str]
) -> None:
    client = api_as(harbor.user(role))
    later = timezone.now() + timedelta(days=3)  # every first-attempt clock has run out by then
    _make_referrals(harbor, bayview, 3)
    with time_machine.travel(later, tick=False):
        client.get(referrals_url())  # warm up: the token's last use
        with CaptureQueriesContext(connection) as small:
            assert client.get(referrals_url(), params).status_code == 200
    _make_referrals(harbor, bayview, 12)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as large:
        response = client.get(referrals_url(), params)
    assert response.status_code == 200 and response.json()["count"] > 0
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


# --- Create -------------------------------------------------------------------------------------------


def test_staff_refer_someone_known(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    consent = share(harbor, sample, harbor.user("referrer").display_name)
    body = {
        "participant_id": str(sample.pk),
        "partner_id": str(bayview.pk),
        "referrer_id": str(harbor.user("referrer").pk),
        "reason": f"  {REASON}  ",
        "discharge_date": (timezone.localdate() + timedelta(days=2)).isoformat(),
        "urgency": "urgent",
        "consent_attested": True,
        "consent_id": str(consent.pk),
    }
    before, last = counts(), last_audit_id()
    response = admin.post(referrals_url(), body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == DETAIL_KEYS
    assert data["participant"]["id"] == str(sample.pk) and data["reason"] == REASON
    assert data["partner"]["id"] == str(bayview.pk) and data["referrer"]["id"] == str(harbor.user("referrer").pk)
    assert (data["status"], data["urgency"], data["consent_id"]) == ("received", "urgent", str(consent.pk))
    assert data["status_shared"] is True
    assert [s["status"] for s in data["history"]] == ["received"]
    assert counts()[:3] == (before[0] + 1, before[1] + 1, before[2])
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert [(e.action, e.object_id) for e in events] == [("referral.create", data["id"])]
    with scopes_disabled():
        created = Referral.objects.get(pk=data["id"])
    assert created.created_by == harbor.user("admin") and created.consent_attested is True


def test_staff_refer_someone_new(harbor: Tenant, admin: ApiClient) -> None:
    body = {
        "person": {"preferred_name": " Jo ", "email": "Jo@Example.org", "date_of_birth": "1990-05-04"},
        "reason": REASON,
        "consent_attested": True,
    }
    response = admin.post(referrals_url(), body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["referrer"] is None and data["partner"] is None and data["urgency"] == "routine"
    with scopes_disabled():
        created = Participant.objects.get(pk=data["participant"]["id"])
    assert (created.preferred_name, created.email, created.date_of_birth) == ("Jo", "jo@example.org", date(1990, 5, 4))
    assert (created.status, created.source, created.created_by) == ("enquiry", Source.REFERRAL, harbor.user("admin"))


def test_referrer_refers_someone_new_in_their_own_name(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient
) -> None:
    body = {"person": {"preferred_name": "Ash", "phone": "(207) 555-0199"}, "reason": REASON, "consent_attested": True}
    before, last = counts(), last_audit_id()
    response = referrer.post(referrals_url(), body)
    assert response.status_code == 201, response.content
    data = response.json()
    # Their only partner is inferred; the status of what they just sent waits for the person's consent.
    assert data["referrer"]["id"] == str(harbor.user("referrer").pk)
    assert data["partner"] == {"id": str(bayview.pk), "name": "Bayview Hospital"}
    _gated_off(data)
    assert data["history"] is None
    assert counts()[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    with scopes_disabled():
        created = Referral.objects.select_related("participant").get(pk=data["id"])
    assert created.participant.source == Source.REFERRAL and created.participant.phone_digits == "2075550199"
    assert created.created_by == harbor.user("referrer")
    assert [e.action for e in AuditEvent.objects.filter(id__gt=last).order_by("id")] == [
        "participant.create",
        "referral.create",
    ]
    # And it is in their list.
    assert [i["id"] for i in referrer.get(referrals_url()).json()["items"]] == [data["id"]]


def test_referrer_with_several_partners_names_one(harbor: Tenant, referrer: ApiClient) -> None:
    me = harbor.user("referrer")
    first = partner(harbor, "Bayview Hospital", (me,))
    partner(harbor, "Eastside Clinic", (me,))
    body = {"person": {"preferred_name": "Ash", "phone": "2075550199"}, "reason": REASON, "consent_attested": True}
    before = counts()
    _assert_field_error(referrer.post(referrals_url(), body), "partner_id")
    assert counts() == before
    response = referrer.post(referrals_url(), {**body, "partner_id": str(first.pk)})
    assert response.status_code == 201 and response.json()["partner"]["id"] == str(first.pk)


def test_referrer_without_a_partner_refers_alone(harbor: Tenant, referrer: ApiClient) -> None:
    body = {"person": {"preferred_name": "Ash", "email": "ash@example.org"}, "reason": REASON, "consent_attested": True}
    response = referrer.post(referrals_url(), body)
    assert response.status_code == 201 and response.json()["partner"] is None


@pytest.mark.parametrize("role", ROLES)
def test_who_may_refer(harbor: Tenant, api_as: ApiAs, role: str) -> None:
    body = {"person": {"preferred_name": "Ash", "email": "ash@example.org"}, "reason": REASON, "consent_attested": True}
    client = api_as(harbor.user(role))
    before = counts()
    response = client.post(referrals_url(), body)
    if role in CREATORS:
        assert response.status_code == 201
        return
    assert response.status_code == 403
    assert counts() == before


Body = Callable[[Tenant, Tenant], Any]


def _new(**fields: Any) -> Body:
    def build(h: Tenant, r: Tenant) -> dict[str, Any]:
        body: dict[str, Any] = {
            "person": {"preferred_name": "Valid Name", "email": "valid@example.org"},
            "reason": REASON,
            "consent_attested": True,
        }
        body.update(fields)
        return body

    return build


def _person(**fields: Any) -> Body:
    return _new(person={"preferred_name": "Valid Name", "email": "valid@example.org", **fields})


def _foreign_consent(h: Tenant, r: Tenant) -> dict[str, Any]:
    foreign = tenant_participant(r)
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=r.user("coordinator"), participant=foreign, purpose="service", given_by="self", method="written"
        )
    return _new(participant_id=str(tenant_participant(h).pk), person=None, consent_id=str(consent.pk))(h, r)


def _someone_elses_consent(h: Tenant, r: Tenant) -> dict[str, Any]:
    other = person(h, preferred_name="Other Person")
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=h.user("coordinator"), participant=other, purpose="service", given_by="self", method="written"
        )
    return _new(participant_id=str(tenant_participant(h).pk), person=None, consent_id=str(consent.pk))(h, r)


def _restricted_person(h: Tenant, r: Tenant) -> dict[str, Any]:
    restricted = person(h, preferred_name="Asked To Be Erased")
    with scopes_disabled():
        Participant.objects.filter(pk=restricted.pk).update(erasure_requested_at=timezone.now())
    return _new(person=None, participant_id=str(restricted.pk))(h, r)


def _inactive_partner(h: Tenant, r: Tenant) -> dict[str, Any]:
    closed = partner(h, "Closed Clinic")
    with scopes_disabled():
        PartnerOrganisation.objects.filter(pk=closed.pk).update(is_active=False)
    return _new(partner_id=str(closed.pk))(h, r)


# (case id, body builder, the field the error must name) — sent by harbor's admin.
STAFF_CASES: list[tuple[str, Body, str]] = [
    ("missing reason", lambda h, r: {k: v for k, v in _new()(h, r).items() if k != "reason"}, "reason"),
    ("empty reason", _new(reason=""), "reason"),
    ("blank reason", _new(reason=" \n\t "), "reason"),
    ("reason too long", _new(reason="r" * 5001), "reason"),
    ("reason with NUL", _new(reason="a\x00b"), "reason"),
    ("reason not text", _new(reason=["why"]), "reason"),
    (
        "missing consent_attested",
        lambda h, r: {k: v for k, v in _new()(h, r).items() if k != "consent_attested"},
        "consent_attested",
    ),
    ("consent_attested false", _new(consent_attested=False), "consent_attested"),
    ("consent_attested a string", _new(consent_attested="true"), "consent_attested"),
    ("consent_attested a number", _new(consent_attested=1), "consent_attested"),
    ("consent_attested null", _new(consent_attested=None), "consent_attested"),
    ("urgency unknown", _new(urgency="whenever"), "urgency"),
    ("urgency upper case", _new(urgency="URGENT"), "urgency"),
    ("discharge_date not a date", _new(discharge_date="next friday"), "discharge_date"),
    ("discharge_date impossible", _new(discharge_date="2026-02-30"), "discharge_date"),
    ("discharge_date long ago", _new(discharge_date="1999-12-31"), "discharge_date"),
    (
        "discharge_date years ahead",
        _new(discharge_date=(timezone.localdate() + timedelta(days=400)).isoformat()),
        "discharge_date",
    ),
    ("discharge_date at the end of time", _new(discharge_date="9999-12-31"), "discharge_date"),
    (
        "discharge_date over 90 days ahead",
        _new(discharge_date=(timezone.localdate() + timedelta(days=91)).isoformat()),
        "discharge_date",
    ),
    ("participant_id of a record being erased", _restricted_person, "participant_id"),
    ("neither participant_id nor person", _new(person=None), "person"),
    (
        "both participant_id and person",
        lambda h, r: _new(participant_id=str(tenant_participant(h).pk))(h, r),
        "person",
    ),
    ("participant_id not a uuid", _new(person=None, participant_id="sam"), "participant_id"),
    ("participant_id nobody", _new(person=None, participant_id=str(uuid.uuid4())), "participant_id"),
    (
        "participant_id of the other organisation",
        lambda h, r: _new(person=None, participant_id=str(tenant_participant(r).pk))(h, r),
        "participant_id",
    ),
    ("person not an object", _new(person="Sam"), "person"),
    ("person without a name", _new(person={"email": "a@example.org"}), "person.preferred_name"),
    ("person with a blank name", _person(preferred_name="   "), "person.preferred_name"),
    ("person name too long", _person(preferred_name="n" * 101), "person.preferred_name"),
    ("person with no way to reach them", _new(person={"preferred_name": "Sam"}), "person"),
    ("person with empty email and phone", _new(person={"preferred_name": "Sam", "email": "", "phone": ""}), "person"),
    ("person email invalid", _person(email="not-an-email"), "person.email"),
    ("person phone words", _person(phone="call me"), "person.phone"),
    ("person date_of_birth ahead", _person(date_of_birth="2999-01-01"), "person.date_of_birth"),
    ("person with an unknown field", _person(notes="Sensitive"), "person.notes"),
    ("person with a status", _person(status="active"), "person.status"),
    ("partner_id not a uuid", _new(partner_id="bayview"), "partner_id"),
    ("partner_id nobody", _new(partner_id=str(uuid.uuid4())), "partner_id"),
    (
        "partner_id of the other organisation",
        lambda h, r: _new(partner_id=str(partner(r, "Riverbend General").pk))(h, r),
        "partner_id",
    ),
    ("partner_id inactive", _inactive_partner, "partner_id"),
    ("referrer_id nobody", _new(referrer_id=str(uuid.uuid4())), "referrer_id"),
    ("referrer_id not a referrer", lambda h, r: _new(referrer_id=str(h.user("peer").pk))(h, r), "referrer_id"),
    (
        "referrer_id of the other organisation",
        lambda h, r: _new(referrer_id=str(r.user("referrer").pk))(h, r),
        "referrer_id",
    ),
    (
        "consent_id nobody",
        lambda h, r: _new(person=None, participant_id=str(tenant_participant(h).pk), consent_id=str(uuid.uuid4()))(
            h, r
        ),
        "consent_id",
    ),
    ("consent_id of the other organisation", _foreign_consent, "consent_id"),
    ("consent_id of someone else", _someone_elses_consent, "consent_id"),
    ("status is not settable", _new(status="engaged"), "status"),
    ("received_at is not settable", _new(received_at="2020-01-01T00:00:00Z"), "received_at"),
    ("organisation in the body", lambda h, r: _new(organisation_id=str(r.organisation.pk))(h, r), "organisation_id"),
    ("misspelt field", _new(reasn="x"), "reasn"),
    ("body a list", lambda h, r: [_new()(h, r)], "__all__"),
    ("body a string", lambda h, r: "refer them", "__all__"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in STAFF_CASES], ids=[c for c, _, _ in STAFF_CASES])
def test_bad_create_is_400_naming_the_field_and_writes_nothing(
    harbor: Tenant, riverbend: Tenant, body: Body, field: str
) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    payload = body(harbor, riverbend)
    before = counts()
    response = client.post(referrals_url(), json.dumps(payload))
    _assert_field_error(response, field)
    assert counts() == before
    for secret in ("Sam Sample", "Riverbend General"):
        assert secret not in response.content.decode()
    assert client.post(referrals_url(), _new()(harbor, riverbend)).status_code == 201


# Sent by harbor's referrer (who refers for Bayview only).
REFERRER_CASES: list[tuple[str, Body, str]] = [
    (
        "participant_id is for staff",
        lambda h, r: _new(person=None, participant_id=str(tenant_participant(h).pk))(h, r),
        "participant_id",
    ),
    ("referrer_id of someone else", lambda h, r: _new(referrer_id=str(h.user("coordinator").pk))(h, r), "referrer_id"),
    (
        "partner_id they do not refer for",
        lambda h, r: _new(partner_id=str(partner(h, "Eastside Clinic").pk))(h, r),
        "partner_id",
    ),
    ("partner_id nobody", _new(partner_id=str(uuid.uuid4())), "partner_id"),
    (
        "consent_id of a known person",
        lambda h, r: _new(consent_id=str(_someone_elses_consent(h, r)["consent_id"]))(h, r),
        "consent_id",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in REFERRER_CASES], ids=[c for c, _, _ in REFERRER_CASES]
)
def test_referrer_bad_create_is_400_and_writes_nothing(
    harbor: Tenant, riverbend: Tenant, bayview: PartnerOrganisation, body: Body, field: str
) -> None:
    client = ApiClient(make_token(harbor.user("referrer")))
    payload = body(harbor, riverbend)
    before = counts()
    response = client.post(referrals_url(), payload)
    _assert_field_error(response, field)
    assert counts() == before
    assert "Sam Sample" not in response.content.decode()


def test_referrer_naming_themself_is_fine(harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient) -> None:
    body = _new(referrer_id=str(harbor.user("referrer").pk))(harbor, harbor)
    assert referrer.post(referrals_url(), body).status_code == 201


def test_a_failure_after_the_person_is_made_leaves_nothing(
    harbor: Tenant, bayview: PartnerOrganisation, admin: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person and the referral are one transaction: if the referral fails, no person is left."""

    def broken(**kwargs: Any) -> Referral:
        raise RuntimeError("database went away")

    monkeypatch.setattr(referrals, "referral_create", broken)
    client = ApiClient(make_token(harbor.user("admin")))
    client.client.raise_request_exception = False
    before = counts()
    response = client.post(referrals_url(), _new()(harbor, harbor))
    assert response.status_code == 500
    assert counts() == before


# --- Idempotency-Key ---------------------------------------------------------------------------------


def key(value: str = KEY) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": f'"{value}"'}


def test_retry_with_the_same_key_creates_once(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient
) -> None:
    body = _new()(harbor, harbor)
    before = counts()
    first = referrer.post(referrals_url(), body, **key())
    assert first.status_code == 201
    again = referrer.post(referrals_url(), body, **key())
    reordered = referrer.post(referrals_url(), json.dumps(body, indent=2, sort_keys=True), **key())
    for response in (again, reordered):
        assert response.status_code == 201 and response.content == first.content
    after = counts()
    assert after[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert after[3] == before[3] + 2  # participant.create and referral.create, once each
    stored = IdempotencyKey.objects.get(user=harbor.user("referrer"), key=KEY)
    assert (stored.method, stored.path, stored.response_status) == ("POST", referrals_url(), 201)


def test_same_key_different_body_is_422_and_creates_nothing(
    harbor: Tenant, bayview: PartnerOrganisation, referrer: ApiClient
) -> None:
    body = _new()(harbor, harbor)
    assert referrer.post(referrals_url(), body, **key()).status_code == 201
    before = counts()
    response = referrer.post(referrals_url(), {**body, "urgency": "urgent"}, **key())
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert counts() == before


def test_a_failed_create_releases_its_key(harbor: Tenant, admin: ApiClient) -> None:
    bad = _new(partner_id=str(uuid.uuid4()))(harbor, harbor)
    before = counts()
    _assert_field_error(admin.post(referrals_url(), bad, **key()), "partner_id")
    assert counts() == before and not IdempotencyKey.objects.filter(key=KEY).exists()
    good = _new()(harbor, harbor)
    assert admin.post(referrals_url(), good, **key()).status_code == 201
    assert counts()[0] == before[0] + 1


def test_bad_key_is_400(harbor: Tenant, admin: ApiClient) -> None:
    before = counts()
    _assert_field_error(admin.post(referrals_url(), _new()(harbor, harbor), **key("has space")), "Idempotency-Key")
    assert counts() == before


# --- Status steps -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_may_move_a_referral(harbor: Tenant, referral: Referral, api_as: ApiAs, role: str) -> None:
    client = api_as(harbor.user(role))
    before, last = counts(), last_audit_id()
    response = client.post(status_url(referral.pk), {"status": "contact_attempted"})
    missing = client.post(status_url(uuid.uuid4()), {"status": "contact_attempted"})
    if role in STAFF:
        assert response.status_code == 200, response.content
        assert missing.status_code == 404
        data = response.json()
        assert set(data) == LIST_KEYS
        assert data["status"] == "contact_attempted" and data["first_attempt_at"]
        events = list(AuditEvent.objects.filter(id__gt=last))
        assert [(e.action, e.actor_id, e.object_id) for e in events] == [
            ("referral.status.contact_attempted", harbor.user(role).pk, str(referral.pk))
        ]
        return
    assert response.status_code == missing.status_code == 403
    assert counts() == before


def test_the_whole_pipeline_and_refused_steps(harbor: Tenant, referral: Referral, admin: ApiClient) -> None:
    for step in ("contact_attempted", "contact_attempted", "engaged", "handed_back"):
        response = admin.post(status_url(referral.pk), {"status": step})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == step
    assert response.json()["closed_at"] and response.json()["clocks"]["overdue"] == []
    before = counts()
    for step in ("received", "engaged", "declined", "handed_back"):
        refused = admin.post(status_url(referral.pk), {"status": step})
        assert refused.status_code == 409, (step, refused.content)
        body = refused.json()
        assert set(body) == {"detail", "errors"} and body["errors"]["status"]
        assert "handed_back" in body["errors"]["status"][0]
    assert counts() == before
    history = admin.get(referral_url(referral.pk)).json()["history"]
    assert [s["status"] for s in history] == [
        "received",
        "contact_attempted",
        "contact_attempted",
        "engaged",
        "handed_back",
    ]


def test_received_cannot_jump_to_engaged(harbor: Tenant, referral: Referral, admin: ApiClient) -> None:
    before = counts()
    response = admin.post(status_url(referral.pk), {"status": "engaged"})
    assert response.status_code == 409
    assert counts() == before
    with scopes_disabled():
        assert Referral.objects.get(pk=referral.pk).status == "received"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": ""}, "status"),
        ({"status": None}, "status"),
        ({}, "status"),
        ({"status": "engaged", "note": "x"}, "note"),
        ("engaged", "__all__"),
    ],
)
def test_bad_status_body_is_400(harbor: Tenant, referral: Referral, admin: ApiClient, body: Any, field: str) -> None:
    before = counts()
    _assert_field_error(admin.post(status_url(referral.pk), json.dumps(body)), field)
    assert counts() == before


def test_malformed_referral_id_is_400(harbor: Tenant, admin: ApiClient) -> None:
    _assert_field_error(admin.get(referral_url("not-a-uuid")), "referral_id")
    _assert_field_error(admin.post(status_url("not-a-uuid"), {"status": "engaged"}), "referral_id")


def test_every_response_is_no_store(harbor: Tenant, referral: Referral, admin: ApiClient) -> None:
    for response in (admin.get(referrals_url()), admin.get(referral_url(referral.pk))):
        assert "no-store" in response["Cache-Control"]


# --- Schemathesis over these operations, with real ids ---------------------------------------------


@pytest.fixture(autouse=True)
def _pytest_9_node_id(request: pytest.FixtureRequest) -> None:
    request.node._nodeid = request.node.nodeid  # see tests/api/test_schemathesis.py


@pytest.fixture
def _requests_keep_the_test_transaction() -> Iterator[None]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def referral_schema(harbor: Tenant, riverbend: Tenant, _requests_keep_the_test_transaction: None) -> Any:
    from tests.people.routes_referrals_api import tenant_referral

    ours, theirs = tenant_referral(harbor), tenant_referral(riverbend)
    with scopes_disabled():
        consent = Consent.objects.filter(participant=ours.participant).first()
    assert consent is not None
    known: dict[str, tuple[list[str], float]] = {
        "path.org_slug": ([harbor.organisation.slug, riverbend.organisation.slug], 0.7),
        "path.referral_id": ([str(ours.pk), str(theirs.pk)], 0.7),
        "path.participant_id": ([str(ours.participant_id), str(theirs.participant_id)], 0.7),
        "path.consent_id": ([str(consent.pk)], 0.7),
        "query.partner": ([str(ours.partner_id), str(theirs.partner_id)], 0.5),
        "query.status": (["received", "contact_attempted", "engaged"], 0.5),
        "body.status": (["contact_attempted", "engaged", "declined", "handed_back"], 0.8),
        "body.participant_id": ([str(ours.participant_id), str(theirs.participant_id)], 0.3),
        "body.partner_id": ([str(ours.partner_id), str(theirs.partner_id)], 0.5),
        "body.referrer_id": ([str(ours.referrer_id), str(theirs.referrer_id)], 0.5),
        "body.urgency": (["routine", "soon", "urgent"], 0.8),
    }
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261128,
            "auth": {"openapi": {"BearerToken": {"bearer": make_token(harbor.user("admin"))}}},
            "dictionaries": {name: {"values": values} for name, (values, _) in known.items()},
            "parameters": {name: {"dictionary": name, "probability": p} for name, (_, p) in known.items()},
            "generation": {"mode": "all", "max-examples": 40, "deterministic": True, "database": "none"},
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
            "checks": {
                "enabled": False,
                **{
                    name: {"enabled": True}
                    for name in (
                        "not_a_server_error",
                        "status_code_conformance",
                        "content_type_conformance",
                        "response_schema_conformance",
                        "negative_data_rejection",
                        "ignored_auth",
                    )
                },
            },
        }
    )
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application(), config=config)


@pytest.fixture
def no_riverbend_data(riverbend: Tenant) -> Callable[..., None]:
    from tests.people.routes_referrals_api import tenant_referral

    theirs = tenant_referral(riverbend)
    foreign = {str(riverbend.organisation.pk), str(theirs.pk), str(theirs.participant_id), "Riverbend General"}

    def no_riverbend_ids(ctx: Any, response: Any, case: Any) -> None:
        sent = f"{response.request.url} {response.request.body!r}"
        shown = sorted(value for value in foreign if value in response.text and value not in sent)
        assert not shown, f"harbor's admin was shown riverbend's data: {shown}"

    return no_riverbend_ids


referral_operations = schemathesis.pytest.from_fixture("referral_schema").include(path_regex=r"/referrals|/fhir$")


@referral_operations.parametrize()
def test_referral_operations_match_the_openapi_document(case: Any, no_riverbend_data: Callable[..., None]) -> None:
    case.call_and_validate(additional_checks=[no_riverbend_data])
