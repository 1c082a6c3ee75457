"""FHIR R4 exports: a referral as a Bundle (ServiceRequest + Task) and a consent as a Consent.

Every export is validated with ``fhir.resources`` (the R4B models: R4 with technical corrections;
ServiceRequest, Task and Consent are the same as R4), and the coded values are checked against the
R4 value sets, which the models do not enforce. Also: who may export, the consent gate on the
referral export (both ways, withdrawal at once), Part 2 labels and the notice, the audit rows."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from alongside.accounts.models import User
from alongside.audit.models import AuditEvent
from alongside.people import fhir, services
from alongside.people.models import Consent, Guardian, Participant, PartnerOrganisation, Referral
from tests.api.helpers import API, ApiClient, make_token
from tests.api.test_referrals_api import (
    REASON,
    advance,
    partner,
    person,
    refer,
    share,
    withdraw,
)
from tests.conftest import ROLES, Tenant
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]

EXPORTERS = {"admin", "coordinator"}  # participants.export
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DISCHARGE = date(2026, 3, 2)

# R4 (4.0.1) required value sets; fhir.resources checks structure and types, not these codes.
SERVICE_REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
REQUEST_INTENT = {
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
}
REQUEST_PRIORITY = {"routine", "urgent", "asap", "stat"}
TASK_STATUS = {
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
}
TASK_INTENT = REQUEST_INTENT - {"directive"} | {"unknown"}
CONSENT_STATUS = {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
CONSENT_SCOPES = {"adr", "research", "patient-privacy", "treatment"}
CONSENT_PROVISION_TYPE = {"deny", "permit"}
BUNDLE_TYPES = {
    "document",
    "message",
    "transaction",
    "transaction-response",
    "batch",
    "batch-response",
    "history",
    "searchset",
    "collection",
}
XHTML = "{http://www.w3.org/1999/xhtml}"


def fhir_url(referral_id: Any, slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/referrals/{referral_id}/fhir"


def consent_fhir_url(participant_id: Any, consent_id: Any, slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/participants/{participant_id}/consents/{consent_id}/fhir"


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _fhir_json(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    assert "no-store" in response["Cache-Control"]
    data: dict[str, Any] = json.loads(response.content)
    return data


def validate_bundle(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the Bundle and each resource with the R4B models and the R4 codes; return (request, task)."""
    Bundle.model_validate(data)
    assert data["resourceType"] == "Bundle" and data["type"] in BUNDLE_TYPES and data["type"] == "collection"
    entries = data["entry"]
    assert [e["resource"]["resourceType"] for e in entries] == ["ServiceRequest", "Task"]
    full_urls = [e["fullUrl"] for e in entries]
    assert len(set(full_urls)) == len(full_urls)  # bdl-7
    for entry in entries:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        uuid.UUID(entry["resource"]["id"])
    request, task = entries[0]["resource"], entries[1]["resource"]
    ServiceRequest.model_validate(request)
    Task.model_validate(task)
    assert request["status"] in SERVICE_REQUEST_STATUS and request["intent"] in REQUEST_INTENT
    assert request["priority"] in REQUEST_PRIORITY and task["priority"] in REQUEST_PRIORITY
    assert task["status"] in TASK_STATUS and task["intent"] in TASK_INTENT
    # The Task is about the ServiceRequest in the same Bundle, and about the same person.
    assert task["focus"]["reference"] == full_urls[0]
    assert task["for"] == request["subject"]
    # No Patient travels with it: nothing contained, no other resources.
    for resource in (request, task):
        assert "contained" not in resource
    return request, task


def validate_consent(data: dict[str, Any]) -> dict[str, Any]:
    FhirConsent.model_validate(data)
    assert data["resourceType"] == "Consent"
    assert data["status"] in CONSENT_STATUS
    scopes = [c["code"] for c in data["scope"]["coding"] if c["system"] == fhir.CONSENT_SCOPE]
    assert len(scopes) == 1 and scopes[0] in CONSENT_SCOPES
    assert {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"} in [
        coding for category in data["category"] for coding in category.get("coding", [])
    ]
    # R4 invariants: ppc-1 a policy or a policyRule; ppc-2..5 a patient for privacy, research, treatment.
    assert data.get("policy") or data.get("policyRule")
    assert data["patient"]["identifier"]["system"] == fhir.PARTICIPANT_SYSTEM
    assert data["provision"]["type"] in CONSENT_PROVISION_TYPE
    # The narrative is well-formed XHTML in its namespace (the models accept almost anything here).
    div = ET.fromstring(data["text"]["div"])  # noqa: S314 (our own output)
    assert div.tag == f"{XHTML}div" and data["text"]["status"] == "generated"
    assert "contained" not in data
    return data


@pytest.fixture
def sample(harbor: Tenant) -> Participant:
    return tenant_participant(harbor)


@pytest.fixture
def bayview(harbor: Tenant) -> PartnerOrganisation:
    return partner(harbor, referrers=(harbor.user("referrer"),))


@pytest.fixture
def admin(harbor: Tenant, api_as: ApiAs) -> ApiClient:
    return api_as(harbor.user("admin"))


def consented_referral(
    harbor: Tenant, participant: Participant, bayview: PartnerOrganisation, **kwargs: Any
) -> Referral:
    kwargs.setdefault("discharge_date", DISCHARGE)
    with time_machine.travel(T0, tick=False):
        share(harbor, participant, harbor.user("referrer").display_name)
        return refer(harbor, participant, partner=bayview, **kwargs)


# --- Referral → Bundle -----------------------------------------------------------------------------

# (steps with hours after T0, ServiceRequest status, Task status, restriction end when exported at T0 + 3 days)
STATES = {
    "received": ([], "active", "requested", "2026-03-04T09:00:00Z"),
    "contact_attempted": ([("contact_attempted", 2)], "active", "in-progress", "2026-03-09"),
    "engaged": ([("contact_attempted", 2), ("engaged", 30)], "active", "in-progress", "2026-03-09"),
    "handed_back": (
        [("contact_attempted", 2), ("engaged", 30), ("handed_back", 60)],
        "completed",
        "completed",
        None,
    ),
    "declined": ([("declined", 5)], "revoked", "rejected", None),
    "unreachable": ([("contact_attempted", 2), ("unreachable", 50)], "revoked", "failed", None),
}


@pytest.mark.parametrize("state", list(STATES))
def test_each_referral_state_exports_as_valid_r4(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient, state: str
) -> None:
    steps, request_status, task_status, restriction_end = STATES[state]
    referral = consented_referral(harbor, sample, bayview)
    for step, hours in steps:
        with time_machine.travel(T0 + timedelta(hours=hours), tick=False):
            advance(harbor, referral, step)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        data = _fhir_json(admin.get(fhir_url(referral.pk)))
    request, task = validate_bundle(data)
    assert request["status"] == request_status
    assert task["status"] == task_status
    assert task["businessStatus"]["coding"] == [
        {"system": fhir.REFERRAL_STATUS_SYSTEM, "code": state, "display": task["businessStatus"]["text"]}
    ]
    assert task.get("restriction", {}).get("period", {}).get("end") == restriction_end
    if steps and steps[0][0] == "contact_attempted":
        assert task["executionPeriod"]["start"] == "2026-03-02T11:00:00Z"
    if request_status != "active":
        assert task["executionPeriod"]["end"]
        assert "restriction" not in task
    if state in ("declined", "unreachable"):
        assert task["statusReason"]["text"]


def test_the_bundle_says_what_was_asked_and_by_whom(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    referral = consented_referral(harbor, sample, bayview, urgency="soon")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = admin.get(fhir_url(referral.pk))
    data = _fhir_json(response)
    request, task = validate_bundle(data)
    assert data["timestamp"] == "2026-03-02T10:00:00Z"
    subject = {
        "type": "Patient",
        "identifier": {"system": "urn:alongside:participant", "value": str(sample.pk)},
        "display": "Sam Sample",
    }
    assert request["subject"] == subject and task["for"] == subject
    assert request["id"] == str(referral.pk)
    assert request["identifier"] == [{"system": "urn:alongside:referral", "value": str(referral.pk)}]
    assert request["intent"] == task["intent"] == "order"
    assert request["priority"] == task["priority"] == "urgent"
    assert request["authoredOn"] == task["authoredOn"] == "2026-03-02T09:00:00Z"
    referrer = harbor.user("referrer").display_name
    assert (
        request["requester"]
        == task["requester"]
        == {"type": "Practitioner", "display": f"{referrer} (Bayview Hospital)"}
    )
    assert request["performer"] == [{"type": "Organization", "display": "Harbor Peers"}]
    assert task["owner"] == {"type": "Organization", "display": "Harbor Peers"}
    assert request["reasonCode"] == [{"text": REASON}]
    assert request["occurrencePeriod"] == {"start": "2026-03-02", "end": "2026-04-01"}
    assert request["note"] == [{"text": "Discharge from inpatient care: 2026-03-02."}]
    assert task["code"]["coding"][0]["code"] == "fulfill"
    assert "meta" in request and "security" not in request["meta"]
    # Only the preferred name leaves: no email, phone, notes or birth date.
    text = response.content.decode()
    for private in (sample.email, "Sample notes", "phone", "birthDate"):
        assert private not in text
    # The same referral keeps the same resource ids from one export to the next.
    again = _fhir_json(admin.get(fhir_url(referral.pk)))
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in data["entry"]]


@pytest.mark.parametrize(("urgency", "priority"), [("routine", "routine"), ("soon", "urgent"), ("urgent", "asap")])
def test_priority_follows_urgency(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient, urgency: str, priority: str
) -> None:
    referral = consented_referral(harbor, sample, bayview, urgency=urgency, discharge_date=None)
    request, task = validate_bundle(_fhir_json(admin.get(fhir_url(referral.pk))))
    assert request["priority"] == task["priority"] == priority
    assert "occurrencePeriod" not in request and "note" not in request


def test_follow_up_clock_moves_from_7_to_30_days(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    referral = consented_referral(harbor, sample, bayview)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        advance(harbor, referral, "contact_attempted")
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        _, task = validate_bundle(_fhir_json(admin.get(fhir_url(referral.pk))))
    assert task["restriction"] == {"period": {"end": "2026-04-01"}}


def test_no_discharge_date_and_attempted_has_no_clock(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    referral = consented_referral(harbor, sample, bayview, discharge_date=None)
    advance(harbor, referral, "contact_attempted")
    _, task = validate_bundle(_fhir_json(admin.get(fhir_url(referral.pk))))
    assert "restriction" not in task


def test_partner_only_referral_is_requested_by_the_partner(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    share(harbor, sample, "Bayview Hospital")
    referral = refer(harbor, sample, partner=bayview, referrer=None)
    request, task = validate_bundle(_fhir_json(admin.get(fhir_url(referral.pk))))
    assert request["requester"] == {"type": "Organization", "display": "Bayview Hospital"}


def test_export_writes_one_audit_row_without_content(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    referral = consented_referral(harbor, sample, bayview)
    last = last_audit_id()
    response = admin.get(fhir_url(referral.pk))
    assert response.status_code == 200
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert [(e.action, e.actor_id, e.actor_role, e.object_type, e.object_id) for e in events] == [
        ("referral.fhir_export", harbor.user("admin").pk, "admin", "people.referral", str(referral.pk))
    ]
    for field in AuditEvent._meta.concrete_fields:
        for content in ("Sam", "Leaving the ward", "Bayview"):
            assert content not in str(getattr(events[0], field.attname))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_export_a_referral(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, api_as: ApiAs, role: str
) -> None:
    referral = consented_referral(harbor, sample, bayview)
    client = api_as(harbor.user(role))
    last = last_audit_id()
    response = client.get(fhir_url(referral.pk))
    missing = client.get(fhir_url(uuid.uuid4()))
    if role in EXPORTERS:
        validate_bundle(_fhir_json(response))
        assert missing.status_code == 404
        return
    # Referrers too: they see their referral through the referrals API, not as an export.
    assert response.status_code == missing.status_code == 403
    assert response.content == missing.content
    assert not AuditEvent.objects.filter(id__gt=last).exists()


def _refused(response: Any) -> str:
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) <= {"detail", "errors"}
    assert "Sam Sample" not in response.content.decode() and REASON not in response.content.decode()
    detail: str = body["detail"]
    return detail


def test_export_needs_the_persons_consent_and_withdrawal_stops_it_at_once(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    referral = refer(harbor, sample, partner=bayview)

    def exports() -> int:
        return AuditEvent.objects.filter(action="referral.fhir_export").count()

    assert "has not agreed" in _refused(admin.get(fhir_url(referral.pk)))
    share(harbor, sample, "Someone Else")
    assert "has not agreed" in _refused(admin.get(fhir_url(referral.pk)))
    assert exports() == 0
    consent = share(harbor, sample, harbor.user("referrer").display_name)
    validate_bundle(_fhir_json(admin.get(fhir_url(referral.pk))))
    assert exports() == 1
    withdraw(harbor, consent)
    assert "has not agreed" in _refused(admin.get(fhir_url(referral.pk)))
    assert exports() == 1


def test_consent_to_share_with_the_partner_does_not_cover_the_referrer(
    harbor: Tenant, sample: Participant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    share(harbor, sample, "Bayview Hospital")
    referral = refer(harbor, sample, partner=bayview)  # names the referrer: they are the recipient
    _refused(admin.get(fhir_url(referral.pk)))


def test_a_referral_with_nobody_to_share_with_cannot_be_exported(
    harbor: Tenant, sample: Participant, admin: ApiClient
) -> None:
    referral = refer(harbor, sample, referrer=None)
    assert "names no referrer or partner" in _refused(admin.get(fhir_url(referral.pk)))


def test_part2_referral_export_is_labelled_and_carries_the_notice(
    harbor: Tenant, bayview: PartnerOrganisation, admin: ApiClient
) -> None:
    pat = person(harbor, preferred_name="Pat", part2=True)
    referral = refer(harbor, pat, partner=bayview)
    share(
        harbor, pat, "Bayview Hospital", part2=True, part2_information="x", part2_discloser="y", part2_expiry_event="z"
    )
    _refused(admin.get(fhir_url(referral.pk)))  # a Part 2 consent, but for someone else
    share(
        harbor,
        pat,
        harbor.user("referrer").display_name,
        part2=True,
        part2_information="Whether the person took up peer support, and its status",
        part2_discloser="Harbor Peers",
        part2_expiry_event="When the referral is closed",
    )
    data = _fhir_json(admin.get(fhir_url(referral.pk)))
    request, task = validate_bundle(data)
    for resource in (data, request, task):
        codes = {(label["system"], label["code"]) for label in resource["meta"]["security"]}
        assert codes == {
            ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R"),
            ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "ETH"),
            ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "42CFRPart2"),
            ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NORDSCLCD"),
        }
    assert {"text": services.PART2_NOTICE} in request["note"]
    assert task["note"] == [{"text": services.PART2_NOTICE}]


def test_foreign_referral_looks_missing(harbor: Tenant, riverbend: Tenant, admin: ApiClient) -> None:
    foreign_participant = tenant_participant(riverbend)
    share(riverbend, foreign_participant, riverbend.user("referrer").display_name)
    foreign = refer(riverbend, foreign_participant)
    for slug in ("harbor", "riverbend"):
        response, missing = admin.get(fhir_url(foreign.pk, slug)), admin.get(fhir_url(uuid.uuid4(), slug))
        assert response.status_code == missing.status_code == 404
        assert response.content == missing.content


# --- Consent → Consent ------------------------------------------------------------------------------


def grant(tenant: Tenant, participant: Participant, purpose: str, **kwargs: Any) -> Consent:
    kwargs.setdefault("given_by", "self")
    kwargs.setdefault("method", "e_signature")
    kwargs.setdefault("signature", participant.preferred_name)
    with scopes_disabled():
        return services.consent_grant(
            acting_user=tenant.user("coordinator"), participant=participant, purpose=purpose, **kwargs
        )


# purpose → (scope, ActReason purpose of use or None, recipient)
KINDS = {
    "service": ("treatment", "TREAT", ""),
    "share_referrer": ("patient-privacy", "COC", "Dr Lee"),
    "share_care_team": ("patient-privacy", "COC", "Eastside Clinic care team"),
    "evaluation": ("patient-privacy", "HQUALIMP", ""),
    "research": ("research", "HRESCH", ""),
    "contact_text": ("patient-privacy", None, ""),
    "contact_email": ("patient-privacy", None, ""),
}


@pytest.mark.parametrize("purpose", list(KINDS))
def test_each_kind_of_consent_exports_as_valid_r4(
    harbor: Tenant, sample: Participant, admin: ApiClient, purpose: str
) -> None:
    scope, purpose_of_use, recipient = KINDS[purpose]
    with time_machine.travel(T0, tick=False):
        consent = grant(harbor, sample, purpose, recipient=recipient, valid_until=date(2027, 3, 1))
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        data = validate_consent(_fhir_json(admin.get(consent_fhir_url(sample.pk, consent.pk))))
    assert data["id"] == str(consent.pk)
    assert data["identifier"] == [{"system": "urn:alongside:consent", "value": str(consent.pk)}]
    assert data["status"] == "active"
    assert data["scope"]["coding"][0]["code"] == scope
    assert data["category"][1]["coding"][0] == {
        "system": "urn:alongside:consent-purpose",
        "code": purpose,
        "display": data["category"][1]["text"],
    }
    assert data["dateTime"] == "2026-03-02T09:00:00Z"
    assert data["patient"]["identifier"]["value"] == str(sample.pk) and data["patient"]["display"] == "Sam Sample"
    assert data["performer"] == [data["patient"]]  # the person gave it themselves
    assert data["organization"] == [{"type": "Organization", "display": "Harbor Peers"}]
    assert data["policyRule"]["coding"][0]["code"] == "OPTIN" and "policy" not in data
    provision = data["provision"]
    assert provision["type"] == "permit"
    assert provision["period"] == {"start": "2026-03-02T09:00:00Z", "end": "2027-03-01"}
    if purpose_of_use:
        assert provision["purpose"] == [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code": purpose_of_use,
                "display": provision["purpose"][0]["display"],
            }
        ]
    else:
        assert "purpose" not in provision
    if recipient:
        assert provision["actor"] == [
            {
                "role": {
                    "coding": [{"system": fhir.PARTICIPATION_TYPE, "code": "IRCP", "display": "information recipient"}]
                },
                "reference": {"display": recipient},
            }
        ]
    else:
        assert "actor" not in provision
    assert "security" not in data["meta"]


def test_withdrawn_consent_is_inactive_and_ends_when_withdrawn(
    harbor: Tenant, sample: Participant, admin: ApiClient
) -> None:
    with time_machine.travel(T0, tick=False):
        consent = grant(harbor, sample, "share_referrer", recipient="Dr Lee")
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        withdraw(harbor, consent)
    data = validate_consent(_fhir_json(admin.get(consent_fhir_url(sample.pk, consent.pk))))
    assert data["status"] == "inactive"
    assert data["provision"]["period"] == {"start": "2026-03-02T09:00:00Z", "end": "2026-03-07T09:00:00Z"}
    assert "Withdrawn on 2026-03-07." in data["text"]["div"]


def test_expired_consent_is_inactive(harbor: Tenant, sample: Participant, admin: ApiClient) -> None:
    with time_machine.travel(T0, tick=False):
        consent = grant(harbor, sample, "research", valid_until=date(2026, 4, 1))
    with time_machine.travel(datetime(2026, 4, 2, 12, 0, tzinfo=UTC), tick=False):
        data = validate_consent(_fhir_json(admin.get(consent_fhir_url(sample.pk, consent.pk))))
    assert data["status"] == "inactive"
    assert "This consent has ended." in data["text"]["div"]


def test_consent_given_by_a_guardian_names_them_as_performer(harbor: Tenant, admin: ApiClient) -> None:
    today = timezone.localdate()
    child = person(harbor, preferred_name="Ari", date_of_birth=today.replace(year=today.year - 9))
    with scopes_disabled():
        guardian = Guardian.objects.create(organisation=harbor.organisation, participant=child, name="Morgan Parent")
    consent = grant(harbor, child, "service", given_by="guardian", guardian=guardian, method="written", signature="")
    data = validate_consent(_fhir_json(admin.get(consent_fhir_url(child.pk, consent.pk))))
    assert data["performer"] == [{"type": "RelatedPerson", "display": "Morgan Parent"}]
    assert data["patient"]["display"] == "Ari"


def test_part2_consent_carries_its_elements_labels_and_the_notice(harbor: Tenant, admin: ApiClient) -> None:
    pat = person(harbor, preferred_name="Pat", part2=True)
    consent = grant(
        harbor,
        pat,
        "share_care_team",
        recipient="Dr <b>Lee</b> & Co",
        part2=True,
        part2_information="Attendance and the referral's status",
        part2_discloser="Harbor Peers recovery program",
        part2_expiry_event="When the person leaves the program",
    )
    data = validate_consent(_fhir_json(admin.get(consent_fhir_url(pat.pk, consent.pk))))
    assert data["policyRule"]["coding"] == [{"system": fhir.ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]
    assert data["policy"] == [{"authority": "https://www.ecfr.gov", "uri": fhir.PART2_POLICY_URI}]
    provision = data["provision"]
    assert provision["code"] == [{"text": "Attendance and the referral's status"}]
    assert provision["securityLabel"] == [{"system": fhir.ACT_CODE, "code": "ETH"}]
    roles = {actor["role"]["coding"][0]["code"]: actor["reference"]["display"] for actor in provision["actor"]}
    assert roles == {"IRCP": "Dr <b>Lee</b> & Co", "CST": "Harbor Peers recovery program"}
    assert {label["code"] for label in data["meta"]["security"]} == {"R", "ETH", "42CFRPart2", "NORDSCLCD"}
    # The narrative holds every element, escaped, and the notice.
    div = ET.fromstring(data["text"]["div"])  # noqa: S314 (our own output)
    text = " ".join(p.text or "" for p in div.iter(f"{XHTML}p"))
    assert not [child for p in div for child in p]  # the recipient's "<b>" stayed text
    for element in (
        "Dr <b>Lee</b> & Co",
        "Attendance and the referral's status",
        "Harbor Peers recovery program",
        "When the person leaves the program",
        services.PART2_NOTICE,
    ):
        assert element in text


@pytest.mark.parametrize("role", ROLES)
def test_who_may_export_a_consent(harbor: Tenant, sample: Participant, api_as: ApiAs, role: str) -> None:
    consent = grant(harbor, sample, "service")
    client = api_as(harbor.user(role))
    last = last_audit_id()
    response = client.get(consent_fhir_url(sample.pk, consent.pk))
    if role in EXPORTERS:
        validate_consent(_fhir_json(response))
        events = list(AuditEvent.objects.filter(id__gt=last))
        assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in events] == [
            ("consent.fhir_export", harbor.user(role).pk, "people.consent", str(consent.pk))
        ]
        return
    # The peer supporter sees this person's record, but exporting is its own permission.
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(id__gt=last).exists()


def test_consent_of_someone_else_or_elsewhere_looks_missing(
    harbor: Tenant, riverbend: Tenant, sample: Participant, admin: ApiClient
) -> None:
    other = person(harbor, preferred_name="Other")
    theirs = grant(harbor, other, "service")
    foreign_participant = tenant_participant(riverbend)
    foreign = grant(riverbend, foreign_participant, "service")
    missing = admin.get(consent_fhir_url(sample.pk, uuid.uuid4()))
    assert missing.status_code == 404
    for url in (
        consent_fhir_url(sample.pk, theirs.pk),
        consent_fhir_url(sample.pk, foreign.pk),
        consent_fhir_url(foreign_participant.pk, foreign.pk),
    ):
        response = admin.get(url)
        assert response.status_code == 404 and response.content == missing.content
    outsider = ApiClient(make_token(riverbend.user("admin")))
    consent = grant(harbor, sample, "service")
    response = outsider.get(consent_fhir_url(sample.pk, consent.pk))
    assert response.status_code == 404 and "Sam Sample" not in response.content.decode()


def test_malformed_ids_are_400(harbor: Tenant, sample: Participant, admin: ApiClient) -> None:
    for url, field in (
        (fhir_url("not-a-uuid"), "referral_id"),
        (consent_fhir_url(sample.pk, "nope"), "consent_id"),
        (consent_fhir_url("nope", uuid.uuid4()), "participant_id"),
    ):
        response = admin.get(url)
        assert response.status_code == 400 and field in response.json()["errors"]


def test_builders_are_pure_and_deterministic(harbor: Tenant, sample: Participant, bayview: PartnerOrganisation) -> None:
    referral = consented_referral(harbor, sample, bayview)
    with scopes_disabled():
        loaded = Referral.objects.select_related("participant", "organisation", "partner", "referrer").get(
            pk=referral.pk
        )
    first = fhir.referral_bundle(loaded, now=T0, include_reason=False)
    second = fhir.referral_bundle(loaded, now=T0, include_reason=False)
    assert first == second
    request, _ = validate_bundle(first)
    assert "reasonCode" not in request  # only for a consumer entitled to it
