"""``/api/v1/organisations/{org_slug}/referrals`` and the FHIR R4 exports (mounted in alongside/api/api.py).

The same chokepoints as people/api.py: ``org_scope`` for membership and permission, the record
scope for participants, every write through the services (``people.referrals``, ``people.services``).

Two kinds of caller:

* staff with ``referrals.view`` (admins, coordinators) see every referral of the organisation;
* a referrer (``referrals.view_own``) sees only the referrals they made, and their status, step
  times, overdue clocks and history only while the person's consent to share with them covers it
  (``referrals.referrer_may_see_status``). Withdrawal takes effect on the next request.

The FHIR exports are disclosures: ``participants.export``, audited, and the referral export only
while the person's consent covers sharing with the referrer (otherwise 409).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from alongside.accounts import access
from alongside.accounts.access import OrgContext
from alongside.accounts.models import Membership, Role, User
from alongside.api.idempotency import idempotency_openapi, idempotent
from alongside.api.schemas import ErrorOut, PageParams, no_nul
from alongside.audit.services import record
from alongside.people import fhir, referrals, selectors, services
from alongside.people.access import access_participant, visible_participants
from alongside.people.api import DateOfBirth, Email, Phone, PreferredName, _one_of, _renamed
from alongside.people.models import (
    REFERRAL_FINAL_STATUSES,
    Consent,
    Participant,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    ReferralUrgency,
)

router = Router(tags=["referrals"])

REFERRALS = "/organisations/{org_slug}/referrals"
REFERRAL = REFERRALS + "/{referral_id}"
CONSENT_FHIR = "/organisations/{org_slug}/participants/{participant_id}/consents/{consent_id}/fhir"

READ = {403: ErrorOut, 404: ErrorOut}
CREATE = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- Field types ---------------------------------------------------------------------------------


def _reason_given(value: str) -> str:
    if not value:
        raise ValueError("Say why the person is being referred.")
    return value


def _attested(value: bool) -> bool:
    if value is not True:
        raise ValueError("Confirm that the person agreed to this referral (true).")
    return value


Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=referrals.REASON_MAX_LENGTH),
    AfterValidator(no_nul),
    AfterValidator(_reason_given),
]
Urgency = Annotated[str, _one_of(ReferralUrgency, blank=False)]
# Strict: "yes" or 1 is not an attestation.
Attested = Annotated[StrictBool, AfterValidator(_attested)]
StatusIn = Annotated[str, _one_of(ReferralStatus, blank=False)]


# --- Schemas -------------------------------------------------------------------------------------


class PersonIn(Schema):
    """Someone new to the organisation: they start as an enquiry, marked as referred by a care team."""

    model_config = ConfigDict(extra="forbid")

    preferred_name: PreferredName
    email: Email = ""
    phone: Phone = ""
    date_of_birth: DateOfBirth = None

    @model_validator(mode="after")
    def _reachable(self) -> PersonIn:
        if not self.email and not self.phone:
            raise ValueError("Give an email address or a phone number, so the peer team can reach the person.")
        return self


class ReferralIn(Schema):
    """A new referral. Anything not listed is refused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person": {"preferred_name": "Jordan", "phone": "207 555 0142"},
                    "reason": "Leaving the ward on Friday; would like to talk with someone who has been there.",
                    "urgency": "soon",
                    "consent_attested": True,
                }
            ]
        },
    )

    participant_id: UUID | None = Field(
        default=None, description="Someone already known here (staff only; within your record scope)"
    )
    person: PersonIn | None = Field(default=None, description="Someone new (send this or participant_id)")
    partner_id: UUID | None = Field(
        default=None, description="The referring partner; a referrer's is inferred when they refer for exactly one"
    )
    referrer_id: UUID | None = Field(
        default=None, description="The referrer (staff only); a referrer's own referrals are always in their name"
    )
    reason: Reason = Field(
        description=f"Why the person is being referred (kept encrypted; up to {referrals.REASON_MAX_LENGTH} characters)"
    )
    discharge_date: date | None = Field(
        default=None, description="Inpatient discharge date, if any: within the last year or the next 90 days"
    )
    urgency: Urgency = Field(default="routine", description=f"One of {', '.join(ReferralUrgency.values)}")
    consent_attested: Attested = Field(description="Must be true: the person agreed to this referral")
    consent_id: UUID | None = Field(default=None, description="A consent the person gave, if recorded here")


class StatusChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: StatusIn = Field(description=f"One of {', '.join(ReferralStatus.values)}")


class ParticipantRef(Schema):
    id: UUID
    preferred_name: str


class NamedRef(Schema):
    id: UUID
    name: str


class ClocksOut(Schema):
    first_attempt_due: datetime = Field(description="48 hours after receipt")
    follow_up_7_due: date | None = Field(description="7 days after discharge (null without a discharge date)")
    follow_up_30_due: date | None = Field(description="30 days after discharge (null without a discharge date)")
    overdue: list[str] | None = Field(
        description="Clocks now overdue: first_attempt, follow_up_7, follow_up_30 (null when not shared with you)"
    )


class ReferralOut(Schema):
    id: UUID
    participant: ParticipantRef
    partner: NamedRef | None
    referrer: NamedRef | None
    discharge_date: date | None
    urgency: str
    consent_attested: bool
    consent_id: UUID | None = Field(description="null for referrers")
    received_at: datetime
    status_shared: bool = Field(description="The person's consent covers sharing the status with the referrer")
    status: str | None = Field(description="null for a referrer unless status_shared")
    first_attempt_at: datetime | None
    engaged_at: datetime | None
    closed_at: datetime | None
    clocks: ClocksOut
    redisclosure_notice: str = Field(
        description="The 42 CFR Part 2 notice when the referral discloses a Part 2 record, else empty"
    )


class StepOut(Schema):
    status: str
    at: datetime
    by_id: UUID | None = Field(description="Who made the step (null for referrers)")


class ReferralDetailOut(ReferralOut):
    reason: str
    history: list[StepOut] | None = Field(description="The steps, oldest first (null when not shared with you)")


class ReferralPage(Schema):
    count: int
    items: list[ReferralOut]


class ReferralFilter(PageParams):
    # The shared PageParams leaves offset unbounded, and SQLite fails (500) on an offset past 2**63.
    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    status: Annotated[str, _one_of(ReferralStatus, blank=True)] = Field(
        default="", description=f"One of {', '.join(ReferralStatus.values)}"
    )
    partner: UUID | None = Field(default=None, description="Only this partner's referrals")
    overdue: bool | None = Field(default=None, description="true: only those with an overdue clock; false: none")


# --- Access and reads ----------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_staff(org: OrgContext) -> bool:
    return org.can("referrals.view")


def visible_referrals(org: OrgContext) -> QuerySet[Referral]:
    """Staff: every referral here. A referrer: only those they made. Anyone else: refused (403).
    Lists never decrypt the reason (P3)."""
    if _is_staff(org):
        return (
            Referral.objects.filter(organisation=org.organisation)
            .select_related("participant__organisation", "partner", "referrer")
            .defer("reason", "participant__notes")
        )
    if org.can("referrals.view_own"):
        return referrals.my_referrals(org.organisation, org.user)
    raise PermissionDenied


def access_referral(org: OrgContext, referral_id: Any) -> Referral:
    """The referral if this person may see it (staff: any; a referrer: their own), else the same
    404 as a missing one."""
    if _is_staff(org):
        referral = referrals.access_referral(org, referral_id)
    elif org.can("referrals.view_own"):
        referral = referrals.access_own_referral(org, referral_id)
    else:
        raise PermissionDenied
    referral.organisation = org.organisation
    return referral


def statuses_shared(items: list[Referral], *, at: datetime) -> set[UUID]:
    """The referrals whose status the person agreed to share with the referrer, in one query
    (``referrals.referrer_visibility``: the bulk form of ``referrer_may_see_status``)."""
    return {pk for pk, visible in referrals.referrer_visibility(items, at=at).items() if visible}


def _contact_times(items: list[Referral]) -> dict[object, list[datetime]]:
    # One query for the whole page (people/referrals.py's own helper for overdue_referrals).
    return referrals._contact_times(items) if items else {}


def referral_out(
    org: OrgContext, referral: Referral, *, shared: bool, contact_times: list[datetime], now: datetime
) -> dict[str, Any]:
    staff = _is_staff(org)
    show = staff or shared
    participant = referral.participant
    return {
        "id": referral.pk,
        "participant": {"id": participant.pk, "preferred_name": participant.preferred_name},
        "partner": {"id": referral.partner.pk, "name": referral.partner.name} if referral.partner else None,
        "referrer": {"id": referral.referrer.pk, "name": referral.referrer.display_name} if referral.referrer else None,
        "discharge_date": referral.discharge_date,
        "urgency": referral.urgency,
        "consent_attested": referral.consent_attested,
        "consent_id": referral.consent_id if staff else None,
        "received_at": referral.received_at,
        "status_shared": shared,
        "status": referral.status if show else None,
        "first_attempt_at": referral.first_attempt_at if show else None,
        "engaged_at": referral.engaged_at if show else None,
        "closed_at": referral.closed_at if show else None,
        "clocks": {
            "first_attempt_due": referrals.first_attempt_due(referral),
            "follow_up_7_due": referrals.follow_up_7_due(referral),
            "follow_up_30_due": referrals.follow_up_30_due(referral),
            "overdue": referrals.overdue(referral, now, contact_times) if show else None,
        },
        # Staff read the record anyway; a referrer is shown the Part 2 notice whenever something of
        # the record is disclosed to them (the status), and is not told the record is Part 2 otherwise.
        "redisclosure_notice": services.redisclosure_notice(participant) if show else "",
    }


def referral_detail_out(org: OrgContext, referral: Referral, *, now: datetime) -> dict[str, Any]:
    shared = referrals.referrer_may_see_status(referral)
    times = _contact_times([referral]).get(referral.participant_id, [])
    data = referral_out(org, referral, shared=shared, contact_times=times, now=now)
    staff = _is_staff(org)
    history = None
    if staff or shared:
        history = [
            {"status": e.status, "at": e.at, "by_id": e.by_id if staff else None}
            for e in referrals.referral_events(referral)
        ]
    return {**data, "reason": referral.reason, "history": history}


# --- Create helpers ------------------------------------------------------------------------------

# The services name model fields; the API names the body's fields.
SERVICE_FIELDS = {
    "participant": "participant_id",
    "partner": "partner_id",
    "referrer": "referrer_id",
    "consent": "consent_id",
    **{name: f"person.{name}" for name in ("preferred_name", "email", "phone", "date_of_birth")},
}


def _partner(
    org: OrgContext, partner_id: UUID | None, referrer: User | None, *, staff: bool
) -> PartnerOrganisation | None:
    """The named partner, or the referrer's only one. A referrer may name only their own partners;
    whether a partner is still active is the service's to say."""
    if staff:
        partners = referrals.partner_list(org.organisation)
    else:
        partners = referrals.partners_of_referrer(org.organisation, org.user)
    if partner_id is not None:
        partner = partners.filter(pk=partner_id).first()
        if partner is None:
            message = "Choose a partner of this organisation." if staff else "Choose a partner you refer for."
            raise DjangoValidationError({"partner_id": [message]})
        return partner
    if referrer is None:
        return None
    theirs = list(referrals.partners_of_referrer(org.organisation, referrer)[:2])
    if len(theirs) == 1:
        return theirs[0]
    if len(theirs) > 1 and not staff:
        raise DjangoValidationError({"partner_id": ["You refer for more than one partner: say which one."]})
    return None


def _referrer(org: OrgContext, referrer_id: UUID | None, *, staff: bool) -> User | None:
    if not staff:
        if referrer_id is not None and referrer_id != org.user.pk:
            raise DjangoValidationError(
                {"referrer_id": ["Your referrals are always in your own name: leave this out."]}
            )
        return org.user
    if referrer_id is None:
        return None
    membership = (
        Membership.objects.filter(
            organisation=org.organisation, user_id=referrer_id, role=Role.REFERRER, is_active=True
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise DjangoValidationError({"referrer_id": ["Choose a referrer of this organisation."]})
    return membership.user


def _participant(org: OrgContext, payload: ReferralIn, *, staff: bool) -> Participant | None:
    """The person already known here, or None when the body describes someone new."""
    if payload.participant_id is not None and payload.person is not None:
        raise DjangoValidationError(
            {"person": ["Send either participant_id (someone already known here) or person (someone new), not both."]}
        )
    if payload.participant_id is None:
        if payload.person is None:
            raise DjangoValidationError(
                {"person": ["Say who is being referred: person (someone new) or participant_id (someone known here)."]}
            )
        return None
    if not staff:
        raise DjangoValidationError(
            {"participant_id": ["Describe the person with person: choosing an existing record is for staff."]}
        )
    participant = visible_participants(org).filter(pk=payload.participant_id).first()
    if participant is None:
        raise DjangoValidationError({"participant_id": ["Choose a person you can see in this organisation."]})
    return participant


def _consent(org: OrgContext, consent_id: UUID | None) -> Consent | None:
    if consent_id is None:
        return None
    consent = Consent.objects.filter(organisation=org.organisation, pk=consent_id).first()
    if consent is None:
        # The same words referral_create uses for someone else's consent: missing and foreign look alike.
        raise DjangoValidationError({"consent_id": ["Choose a consent this person gave."]})
    return consent


# --- Endpoints -----------------------------------------------------------------------------------


@router.get(
    REFERRALS,
    response={200: ReferralPage, 400: ErrorOut, **READ},
    summary="Referrals (staff: all; a referrer: their own, with the status only when the person agreed)",
)
def referral_list(request: HttpRequest, org_slug: str, filters: Query[ReferralFilter]) -> Any:
    with access.org_scope(_user(request), org_slug, "organisation.view") as org:
        now = timezone.now()
        qs = visible_referrals(org).order_by("-received_at", "-id")
        if filters.partner is not None:
            qs = qs.filter(partner=filters.partner)
        staff = _is_staff(org)
        if filters.status:
            qs = qs.filter(status=filters.status)
        shared: set[UUID] | None = None
        if filters.overdue is not None or (filters.status and not staff):
            # Clocks are computed, not stored: pick the matches over the filtered set (a constant
            # number of queries, memory in proportion to that set), then page through them. A
            # referrer's filters only ever match referrals whose status they may see, so a filter
            # never tells them more than the list does.
            if filters.overdue:
                qs = qs.exclude(status__in=REFERRAL_FINAL_STATUSES)  # a closed referral has no clock running
            candidates = list(qs)
            times = _contact_times(candidates)
            shared = statuses_shared(candidates, at=now)
            keep = []
            for r in candidates:
                if not staff and r.pk not in shared:
                    continue
                if (
                    filters.overdue is not None
                    and bool(referrals.overdue(r, now, times.get(r.participant_id, []))) != filters.overdue
                ):
                    continue
                keep.append(r)
            count = len(keep)
            items = keep[filters.offset : filters.offset + filters.limit]
        else:
            count = qs.count()
            items = list(qs[filters.offset : filters.offset + filters.limit])
            times = _contact_times(items)
        if shared is None:
            shared = statuses_shared(items, at=now)
        return {
            "count": count,
            "items": [
                referral_out(org, r, shared=r.pk in shared, contact_times=times.get(r.participant_id, []), now=now)
                for r in items
            ],
        }


@router.post(
    REFERRALS,
    response={201: ReferralDetailOut, **CREATE},
    summary="Refer someone (honours Idempotency-Key)",
    openapi_extra=idempotency_openapi(),
)
def referral_create(request: HttpRequest, org_slug: str, payload: ReferralIn) -> Any:
    with access.org_scope(_user(request), org_slug, "referrals.create") as org:
        staff = _is_staff(org)

        def create() -> tuple[int, dict[str, Any]]:
            # All in the one transaction idempotent() opens: a failure anywhere writes nothing.
            referrer = _referrer(org, payload.referrer_id, staff=staff)
            partner = _partner(org, payload.partner_id, referrer, staff=staff)
            consent = _consent(org, payload.consent_id)
            participant = _participant(org, payload, staff=staff)
            with _renamed(SERVICE_FIELDS):
                referral = referrals.referral_submit(
                    acting_user=org.user,
                    organisation=org.organisation,
                    participant=participant,
                    new_person=payload.person.model_dump() if payload.person is not None else None,
                    reason=payload.reason,
                    urgency=payload.urgency,
                    partner=partner,
                    referrer=referrer,
                    discharge_date=payload.discharge_date,
                    consent_attested=payload.consent_attested,
                    consent=consent,
                )
            referral = access_referral(org, referral.pk)
            return 201, referral_detail_out(org, referral, now=timezone.now())

        return idempotent(request, create)


@router.get(
    REFERRAL,
    response={200: ReferralDetailOut, 400: ErrorOut, **READ},
    summary="One referral with its clocks and steps (the read is recorded in the access log)",
)
def referral_detail(request: HttpRequest, org_slug: str, referral_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "organisation.view") as org:
        referral = access_referral(org, referral_id)
        referrals.referral_viewed(acting_user=org.user, referral=referral)
        return referral_detail_out(org, referral, now=timezone.now())


@router.post(
    REFERRAL + "/status",
    response={200: ReferralOut, 400: ErrorOut, 409: ErrorOut, **READ},
    summary="Move a referral to its next step (409 when that step is not allowed from where it is)",
)
def referral_status(request: HttpRequest, org_slug: str, referral_id: UUID, payload: StatusChangeIn) -> Any:
    with access.org_scope(_user(request), org_slug, "referrals.change") as org:
        referral = access_referral(org, referral_id)
        try:
            referral = referrals.referral_advance(acting_user=org.user, referral=referral, status=payload.status)
        except DjangoValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"status": exc.messages}
            return 409, {"detail": "This step is not allowed from where the referral is now.", "errors": errors}
        referral = access_referral(org, referral.pk)
        now = timezone.now()
        times = _contact_times([referral]).get(referral.participant_id, [])
        shared = referrals.referrer_may_see_status(referral)
        return referral_out(org, referral, shared=shared, contact_times=times, now=now)


# --- FHIR R4 exports -------------------------------------------------------------------------------


def _fhir_openapi(resource: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "description": f"A FHIR R4 (4.0.1) {resource} resource",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource]}},
    }
    return {
        "responses": {"200": {"description": f"A FHIR R4 {resource}", "content": {fhir.MEDIA_TYPE: {"schema": schema}}}}
    }


def _fhir_response(resource: dict[str, Any]) -> HttpResponse:
    return HttpResponse(json.dumps(resource), content_type=fhir.MEDIA_TYPE)


@router.get(
    REFERRAL + "/fhir",
    response={400: ErrorOut, 409: ErrorOut, **READ},
    summary="The referral as a FHIR R4 Bundle (ServiceRequest + Task); only with the person's consent to share",
    openapi_extra=_fhir_openapi("Bundle"),
)
def referral_fhir(request: HttpRequest, org_slug: str, referral_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "participants.export") as org:
        referral = access_referral(org, referral_id)
        if not referrals.referrer_recipient(referral):
            return 409, {
                "detail": "This referral names no referrer or partner to share it with, so it cannot be exported."
            }
        if not referrals.referrer_may_see_status(referral):
            return 409, {
                "detail": "The person has not agreed to share this referral with the referrer. "
                "Record their consent to share with the named referrer first."
            }
        bundle = fhir.referral_bundle(referral, now=timezone.now(), include_reason=org.can("referrals.view"))
        record(org.user, "referral.fhir_export", referral)
        return _fhir_response(bundle)


@router.get(
    CONSENT_FHIR,
    response={400: ErrorOut, **READ},
    summary="One consent as a FHIR R4 Consent",
    tags=["consents"],
    openapi_extra=_fhir_openapi("Consent"),
)
def consent_fhir(request: HttpRequest, org_slug: str, participant_id: UUID, consent_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "participants.export") as org:
        participant = access_participant(org, participant_id)
        consent = selectors.participant_consent(participant, str(consent_id))
        if consent is None:
            raise Http404
        participant.organisation = org.organisation
        consent.participant = participant
        resource = fhir.consent_resource(consent, now=timezone.now())
        record(org.user, "consent.fhir_export", consent)
        return _fhir_response(resource)
