"""FHIR R4 (4.0.1) exports: a referral as a Bundle of ServiceRequest + Task, a consent as a Consent.

Pure functions building plain dicts from our models (already loaded, with ``now`` given), so the
same referral gives the same resources. Nothing here checks access or consent, and nothing is
written: the API endpoints in ``people/api_referrals.py`` do that and audit each export.

The shapes follow the closed-loop referral pattern of the Gravity Project SDOH Clinical Care IG
(a ServiceRequest the care team sent, a Task we work on) and the DS4P security labels for
42 CFR Part 2. The person is referred to by our own identifier and preferred name only: no
Patient resource is contained, so nothing of their record travels beyond what the receiver needs.
Mapping tables: docs/api.md ("FHIR exports").
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, date, datetime
from typing import Any

from django.utils import translation

from alongside.people import referrals
from alongside.people.models import (
    REFERRAL_FINAL_STATUSES,
    Consent,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    Participant,
    Referral,
    ReferralStatus,
    ReferralUrgency,
)
from alongside.people.services import redisclosure_notice

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"

# Our own identifier systems (URIs; the values are our UUIDs).
PARTICIPANT_SYSTEM = "urn:alongside:participant"
REFERRAL_SYSTEM = "urn:alongside:referral"
CONSENT_SYSTEM = "urn:alongside:consent"
REFERRAL_STATUS_SYSTEM = "urn:alongside:referral-status"
CONSENT_PURPOSE_SYSTEM = "urn:alongside:consent-purpose"

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
LOINC = "http://loinc.org"
PART2_POLICY_URI = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"

# A fixed namespace, so a referral's Task keeps the same id from one export to the next.
_TASK_NAMESPACE = uuid.UUID("5b0c5f3e-2f4e-4b7e-9a51-8d0f3c6f2a10")

# --- Referral → ServiceRequest + Task -------------------------------------------------------------

S = ReferralStatus
SERVICE_REQUEST_STATUS = {
    S.RECEIVED: "active",
    S.CONTACT_ATTEMPTED: "active",
    S.ENGAGED: "active",
    S.HANDED_BACK: "completed",
    # Ended before the support took place (the person said no, or could not be reached).
    S.DECLINED: "revoked",
    S.UNREACHABLE: "revoked",
}
TASK_STATUS = {
    S.RECEIVED: "requested",
    S.CONTACT_ATTEMPTED: "in-progress",
    S.ENGAGED: "in-progress",
    S.HANDED_BACK: "completed",
    S.DECLINED: "rejected",
    S.UNREACHABLE: "failed",
}
TASK_STATUS_REASON = {
    S.DECLINED: "The person chose not to take up peer support.",
    S.UNREACHABLE: "The peer team could not reach the person.",
}
PRIORITY = {
    ReferralUrgency.ROUTINE: "routine",
    ReferralUrgency.SOON: "urgent",
    ReferralUrgency.URGENT: "asap",
}

# --- Consent → Consent ----------------------------------------------------------------------------

P = ConsentPurpose
# consentscope: patient-privacy (who may see what), treatment (agreeing to the service), research.
CONSENT_SCOPE_CODE = {
    P.SERVICE: ("treatment", "Treatment"),
    P.SHARE_REFERRER: ("patient-privacy", "Privacy Consent"),
    P.SHARE_CARE_TEAM: ("patient-privacy", "Privacy Consent"),
    P.EVALUATION: ("patient-privacy", "Privacy Consent"),
    P.RESEARCH: ("research", "Research"),
    P.CONTACT_TEXT: ("patient-privacy", "Privacy Consent"),
    P.CONTACT_EMAIL: ("patient-privacy", "Privacy Consent"),
}
# HL7 v3 ActReason purposes of use, where one fits; contact by text or email has none.
CONSENT_PURPOSE_OF_USE = {
    P.SERVICE: ("TREAT", "treatment"),
    P.SHARE_REFERRER: ("COC", "coordination of care"),
    P.SHARE_CARE_TEAM: ("COC", "coordination of care"),
    P.EVALUATION: ("HQUALIMP", "health quality improvement"),
    P.RESEARCH: ("HRESCH", "healthcare research"),
}
RECIPIENT_ROLE = {"system": PARTICIPATION_TYPE, "code": "IRCP", "display": "information recipient"}
DISCLOSER_ROLE = {"system": PARTICIPATION_TYPE, "code": "CST", "display": "custodian"}

# DS4P labels for anything drawn from a 42 CFR Part 2 record: restricted, substance-use
# information, the Part 2 policy, and no redisclosure without the person's consent.
PART2_SECURITY = [
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": ACT_CODE, "code": "ETH", "display": "substance abuse information sensitivity"},
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {"system": ACT_CODE, "code": "NORDSCLCD", "display": "no redisclosure without consent directive"},
]


def instant(value: datetime) -> str:
    """A FHIR instant/dateTime: UTC, to the second."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(value: date) -> str:
    return value.isoformat()


def participant_reference(participant: Participant) -> dict[str, Any]:
    """The person by our identifier and the name they chose; no contained Patient."""
    return {
        "type": "Patient",
        "identifier": {"system": PARTICIPANT_SYSTEM, "value": str(participant.pk)},
        "display": participant.preferred_name,
    }


def _organisation_reference(name: str) -> dict[str, Any]:
    return {"type": "Organization", "display": name}


def _meta(participant: Participant, now: datetime) -> dict[str, Any]:
    meta: dict[str, Any] = {"lastUpdated": instant(now)}
    if participant.part2:
        meta["security"] = [dict(label) for label in PART2_SECURITY]
    return meta


def task_id(referral: Referral) -> str:
    return str(uuid.uuid5(_TASK_NAMESPACE, str(referral.pk)))


def _requester(referral: Referral) -> dict[str, Any] | None:
    if referral.referrer is not None:
        name = referral.referrer.display_name
        if referral.partner is not None:
            name = f"{name} ({referral.partner.name})"
        return {"type": "Practitioner", "display": name}
    if referral.partner is not None:
        return _organisation_reference(referral.partner.name)
    return None


def _clock_end(referral: Referral, now: datetime) -> str | None:
    """When the next clock runs out: the 48-hour first attempt, else the next follow-up day."""
    if referral.status in REFERRAL_FINAL_STATUSES:
        return None
    if referral.first_attempt_at is None:
        return instant(referrals.first_attempt_due(referral))
    seven, thirty = referrals.follow_up_7_due(referral), referrals.follow_up_30_due(referral)
    if seven is None or thirty is None:
        return None
    today = now.astimezone(UTC).date()
    return _day(seven if today <= seven else thirty)


def _status_label(status: str) -> str:
    with translation.override("en"):
        return str(ReferralStatus(status).label)


def service_request(referral: Referral, *, now: datetime, include_reason: bool) -> dict[str, Any]:
    participant = referral.participant
    notes = []
    if referral.discharge_date is not None:
        notes.append({"text": f"Discharge from inpatient care: {_day(referral.discharge_date)}."})
    notice = redisclosure_notice(participant)
    if notice:
        notes.append({"text": notice})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": _meta(participant, now),
        "identifier": [{"system": REFERRAL_SYSTEM, "value": str(referral.pk)}],
        "status": SERVICE_REQUEST_STATUS[ReferralStatus(referral.status)],
        "intent": "order",
        "priority": PRIORITY[ReferralUrgency(referral.urgency)],
        "code": {"text": "Peer support"},
        "subject": participant_reference(participant),
        "authoredOn": instant(referral.received_at),
        "performer": [_organisation_reference(referral.organisation.name)],
    }
    if referral.discharge_date is not None:
        # The window the peer contact is for: from discharge to the 30-day follow-up.
        thirty = referrals.follow_up_30_due(referral)
        assert thirty is not None
        resource["occurrencePeriod"] = {"start": _day(referral.discharge_date), "end": _day(thirty)}
    requester = _requester(referral)
    if requester is not None:
        resource["requester"] = requester
    if include_reason and referral.reason:
        resource["reasonCode"] = [{"text": referral.reason}]
    if notes:
        resource["note"] = notes
    return resource


def task(referral: Referral, *, now: datetime) -> dict[str, Any]:
    participant = referral.participant
    status = ReferralStatus(referral.status)
    label = _status_label(status)
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": task_id(referral),
        "meta": _meta(participant, now),
        "status": TASK_STATUS[status],
        "businessStatus": {"coding": [{"system": REFERRAL_STATUS_SYSTEM, "code": status.value, "display": label}]},
        "intent": "order",
        "priority": PRIORITY[ReferralUrgency(referral.urgency)],
        "code": {"coding": [{"system": TASK_CODE, "code": "fulfill", "display": "Fulfill the focal request"}]},
        "focus": {"type": "ServiceRequest", "reference": f"urn:uuid:{referral.pk}"},
        "for": participant_reference(participant),
        "authoredOn": instant(referral.received_at),
        "lastModified": instant(referral.updated_at),
        "owner": _organisation_reference(referral.organisation.name),
    }
    resource["businessStatus"]["text"] = label
    if status in TASK_STATUS_REASON:
        resource["statusReason"] = {"text": TASK_STATUS_REASON[status]}
    requester = _requester(referral)
    if requester is not None:
        resource["requester"] = requester
    started = referral.first_attempt_at
    if started is not None or referral.closed_at is not None:
        period = {}
        if started is not None:
            period["start"] = instant(started)
        if referral.closed_at is not None:
            period["end"] = instant(referral.closed_at)
        resource["executionPeriod"] = period
    clock_end = _clock_end(referral, now)
    if clock_end is not None:
        resource["restriction"] = {"period": {"end": clock_end}}
    notice = redisclosure_notice(participant)
    if notice:
        resource["note"] = [{"text": notice}]
    return resource


def referral_bundle(referral: Referral, *, now: datetime, include_reason: bool) -> dict[str, Any]:
    """A ``collection`` Bundle: the ServiceRequest (what was asked) and the Task (where it stands).

    ``referral`` needs its participant, organisation, partner and referrer loaded.
    ``include_reason`` puts the reason (P3) in ``ServiceRequest.reasonCode`` as text.
    """
    request = service_request(referral, now=now, include_reason=include_reason)
    work = task(referral, now=now)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": _meta(referral.participant, now),
        "type": "collection",
        "timestamp": instant(now),
        "entry": [
            {"fullUrl": f"urn:uuid:{request['id']}", "resource": request},
            {"fullUrl": f"urn:uuid:{work['id']}", "resource": work},
        ],
    }
    return bundle


# --- Consent --------------------------------------------------------------------------------------


def consent_status(consent: Consent, *, now: datetime) -> str:
    """active while it covers something; inactive once withdrawn or past its end date."""
    if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
        return "inactive"
    if consent.valid_until is not None and consent.valid_until < now.date():
        return "inactive"
    return "active"


def _purpose_label(purpose: str) -> str:
    with translation.override("en"):
        return str(ConsentPurpose(purpose).label)


def _performer(consent: Consent, participant: Participant) -> dict[str, Any]:
    if consent.given_by == ConsentGivenBy.GUARDIAN and consent.guardian is not None:
        return {"type": "RelatedPerson", "display": consent.guardian.name}
    return participant_reference(participant)


def _narrative(consent: Consent, participant: Participant, status: str) -> dict[str, str]:
    """A short human-readable summary, and for Part 2 the §2.31 elements and the §2.32 notice."""
    with translation.override("en"):
        given_by = str(ConsentGivenBy(consent.given_by).label)
        method = str(ConsentMethod(consent.method).label)
    lines = [
        f"Consent for: {_purpose_label(consent.purpose)}.",
        f"Given by: {given_by} ({method}) on {_day(consent.granted_at.astimezone(UTC).date())}.",
    ]
    if consent.recipient:
        lines.append(f"Who may receive the information: {consent.recipient}.")
    if consent.valid_until is not None:
        lines.append(f"Valid until: {_day(consent.valid_until)}.")
    if consent.withdrawn_at is not None:
        lines.append(f"Withdrawn on {_day(consent.withdrawn_at.astimezone(UTC).date())}.")
    elif status == "inactive":
        lines.append("This consent has ended.")
    if consent.part2:
        lines.append("A consent under 42 CFR Part 2 (§2.31).")
        lines.append(f"What information may be disclosed: {consent.part2_information}.")
        lines.append(f"Who may disclose it: {consent.part2_discloser}.")
        if consent.part2_expiry_event:
            lines.append(f"Expires on: {consent.part2_expiry_event}.")
    notice = redisclosure_notice(participant)
    if notice:
        lines.append(notice)
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def consent_resource(consent: Consent, *, now: datetime) -> dict[str, Any]:
    """One consent as a FHIR R4 Consent. ``consent`` needs its participant (with the
    organisation) and guardian loaded."""
    participant = consent.participant
    purpose = ConsentPurpose(consent.purpose)
    status = consent_status(consent, now=now)
    scope_code, scope_display = CONSENT_SCOPE_CODE[purpose]
    provision: dict[str, Any] = {"type": "permit", "period": {"start": instant(consent.granted_at)}}
    end = (
        instant(consent.withdrawn_at)
        if consent.withdrawn_at is not None
        else (_day(consent.valid_until) if consent.valid_until is not None else None)
    )
    if end is not None:
        provision["period"]["end"] = end
    actors = []
    if consent.recipient:
        actors.append({"role": {"coding": [dict(RECIPIENT_ROLE)]}, "reference": {"display": consent.recipient}})
    if consent.part2 and consent.part2_discloser:
        actors.append({"role": {"coding": [dict(DISCLOSER_ROLE)]}, "reference": {"display": consent.part2_discloser}})
    if actors:
        provision["actor"] = actors
    if purpose in CONSENT_PURPOSE_OF_USE:
        code, display = CONSENT_PURPOSE_OF_USE[purpose]
        provision["purpose"] = [{"system": ACT_REASON, "code": code, "display": display}]
    if consent.part2:
        provision["securityLabel"] = [{"system": ACT_CODE, "code": "ETH"}]
        if consent.part2_information:
            provision["code"] = [{"text": consent.part2_information}]
        policy_rule = {"coding": [{"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]}
    else:
        policy_rule = {"coding": [{"system": ACT_CODE, "code": "OPTIN", "display": "opt-in"}]}
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "meta": _meta(participant, now),
        "text": _narrative(consent, participant, status),
        "identifier": [{"system": CONSENT_SYSTEM, "value": str(consent.pk)}],
        "status": status,
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": scope_code, "display": scope_display}]},
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]},
            {
                "coding": [
                    {"system": CONSENT_PURPOSE_SYSTEM, "code": purpose.value, "display": _purpose_label(purpose)}
                ],
                "text": _purpose_label(purpose),
            },
        ],
        "patient": participant_reference(participant),
        "dateTime": instant(consent.granted_at),
        "performer": [_performer(consent, participant)],
        "organization": [_organisation_reference(participant.organisation.name)],
        "policyRule": policy_rule,
        "provision": provision,
    }
    if consent.part2:
        resource["policy"] = [{"authority": "https://www.ecfr.gov", "uri": PART2_POLICY_URI}]
    return resource
