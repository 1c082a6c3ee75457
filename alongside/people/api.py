"""``/api/v1/organisations/{org_slug}/participants`` and their consents (mounted in alongside/api/api.py).

The same chokepoints as the pages: ``org_scope`` for the membership and the permission,
``access_participant`` for the record scope (a record outside it answers like a missing one), and
every write through ``people.services``. Output is built field by field, never dumped from a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import TextChoices
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator

from alongside.accounts import access
from alongside.accounts.access import OrgContext
from alongside.accounts.models import Membership, Role, User
from alongside.api.idempotency import idempotency_openapi, idempotent
from alongside.api.schemas import ErrorOut, PageParams, no_nul
from alongside.people import selectors, services
from alongside.people.access import access_participant
from alongside.people.models import (
    AgeBand,
    Consent,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    Guardian,
    Participant,
    ParticipantStatus,
)

router = Router(tags=["participants"])

PARTICIPANTS = "/organisations/{org_slug}/participants"
PARTICIPANT = PARTICIPANTS + "/{participant_id}"
CONSENTS = PARTICIPANT + "/consents"

# Any of these lets a member see some participant records (people/access.py: the record scope).
VIEW_PERMISSIONS = ("participants.view_all", "participants.view_team", "participants.view_own")
LOOKING_FOR = {
    "mentorship": "looking_for_mentorship",
    "groups": "looking_for_groups",
    "warmline": "looking_for_warmline",
}


# --- Field types ---------------------------------------------------------------------------------


def _one_of(choices: type[TextChoices], *, blank: bool) -> AfterValidator:
    def check(value: str) -> str:
        if (blank and value == "") or value in choices.values:
            return value
        raise ValueError(f"Use one of: {', '.join(choices.values)}{' (or an empty string)' if blank else ''}.")

    return AfterValidator(check)


def _preferred_name(value: str) -> str:
    if not value:
        raise ValueError("Enter the name this person would like us to use.")
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid email address, or an empty string.") from None
    return value


_PHONE = re.compile(r"[0-9+().\- ]+")


def _phone(value: str) -> str:
    if value and (not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 7):
        raise ValueError("Enter a phone number: at least 7 digits; spaces and + ( ) - . are allowed.")
    return value


def _date_of_birth(value: date | None) -> date | None:
    if value is not None and (value > timezone.localdate() or value.year < 1900):
        raise ValueError("Enter a date of birth in the past, or null.")
    return value


_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def _languages(values: list[str]) -> list[str]:
    bad = [v for v in values if not _LANGUAGE.fullmatch(v)]
    if bad:
        raise ValueError("Use language codes such as en, es or pt-BR.")
    return list(dict.fromkeys(values))


def _looking_for(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(LOOKING_FOR))
    if unknown:
        raise ValueError(f"Unknown: {', '.join(unknown)}. Use mentorship, groups or warmline.")
    return [name for name in LOOKING_FOR if name in values]


PreferredName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    AfterValidator(no_nul),
    AfterValidator(_preferred_name),
]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50), AfterValidator(no_nul)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(no_nul)]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(no_nul)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(no_nul)]
Notes = Annotated[str, StringConstraints(max_length=20000), AfterValidator(no_nul)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
AgeBandIn = Annotated[str, StringConstraints(strip_whitespace=True), _one_of(AgeBand, blank=True)]
ContactIn = Annotated[str, StringConstraints(strip_whitespace=True), _one_of(ContactMethod, blank=True)]
DateOfBirth = Annotated[date | None, AfterValidator(_date_of_birth)]
Languages = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True)]], Field(max_length=20), AfterValidator(_languages)
]
LookingFor = Annotated[list[str], AfterValidator(_looking_for)]

# Fields that may be left out of a change but never set to null.
_NOT_NULL = (
    "preferred_name",
    "legal_name",
    "pronouns",
    "age_band",
    "languages",
    "email",
    "phone",
    "preferred_contact",
    "postcode",
    "accessibility_needs",
    "looking_for",
    "notes",
    "part2",
)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("This cannot be null: leave the field out to keep it as it is.")
    return value


# --- Schemas ---------------------------------------------------------------------------------------


class ParticipantPatch(Schema):
    """A change to a participant: only the fields sent change. Anything not listed is refused."""

    model_config = ConfigDict(extra="forbid")

    preferred_name: PreferredName | None = None
    legal_name: Text200 | None = None
    pronouns: Text50 | None = None
    date_of_birth: DateOfBirth = Field(default=None, description="null clears it")
    age_band: AgeBandIn | None = Field(default=None, description=f"One of {', '.join(AgeBand.values)}, or empty")
    languages: Languages | None = Field(default=None, description="Language codes, e.g. en, es")
    email: Email | None = None
    phone: Phone | None = None
    preferred_contact: ContactIn | None = Field(
        default=None, description=f"One of {', '.join(ContactMethod.values)}, or empty"
    )
    safe_to_voicemail: bool | None = Field(default=None, description="null: not asked yet")
    safe_to_text: bool | None = Field(default=None, description="null: not asked yet")
    safe_to_email: bool | None = Field(default=None, description="null: not asked yet")
    postcode: Postcode | None = None
    accessibility_needs: Text2000 | None = None
    looking_for: LookingFor | None = Field(default=None, description="Any of: mentorship, groups, warmline")
    notes: Notes | None = None
    part2: bool | None = Field(default=None, description="The record is covered by 42 CFR Part 2")
    assigned_peer_id: UUID | None = Field(default=None, description="A peer supporter of this organisation; null: none")

    _not_null = field_validator(*_NOT_NULL, mode="before")(_refuse_null)


class ParticipantIn(ParticipantPatch):
    """A new participant: only the preferred name is required."""

    preferred_name: PreferredName


class ParticipantOut(Schema):
    id: UUID
    preferred_name: str
    legal_name: str
    pronouns: str
    date_of_birth: date | None
    age_band: str
    age: int | None
    languages: list[str]
    email: str
    phone: str
    preferred_contact: str
    safe_to_voicemail: bool | None
    safe_to_text: bool | None
    safe_to_email: bool | None
    postcode: str
    accessibility_needs: str
    looking_for: list[str]
    status: str
    assigned_peer_id: UUID | None
    part2: bool
    created_at: datetime
    updated_at: datetime


class ParticipantDetailOut(ParticipantOut):
    notes: str | None = Field(description="null when the caller may not read notes")
    redisclosure_notice: str = Field(description="The 42 CFR Part 2 notice for Part 2 records, else empty")


class ParticipantPage(Schema):
    count: int
    items: list[ParticipantOut]


class ParticipantFilter(PageParams):
    status: Annotated[str, _one_of(ParticipantStatus, blank=True)] = ""
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(no_nul)] = Field(
        default="", description="Part of the preferred or legal name"
    )


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    purpose: Annotated[str, _one_of(ConsentPurpose, blank=False)]
    given_by: Annotated[str, _one_of(ConsentGivenBy, blank=False)]
    method: Annotated[str, _one_of(ConsentMethod, blank=False)]
    recipient: Text200 = ""
    guardian_id: UUID | None = Field(default=None, description="The legal guardian, when given_by is guardian")
    signature: Text200 = ""
    witness: Text200 = ""
    valid_until: date | None = None
    part2: bool = False
    part2_information: Text2000 = ""
    part2_discloser: Text200 = ""
    part2_expiry_event: Text200 = ""


class ConsentOut(Schema):
    id: UUID
    participant_id: UUID
    purpose: str
    recipient: str
    given_by: str
    guardian_id: UUID | None
    method: str
    signature: str
    witness: str
    granted_at: datetime
    valid_until: date | None
    recorded_by_id: UUID | None
    withdrawn_at: datetime | None
    withdrawn_by_id: UUID | None
    part2: bool
    part2_information: str
    part2_discloser: str
    part2_expiry_event: str


class ConsentPage(Schema):
    count: int
    items: list[ConsentOut]


# --- Output ----------------------------------------------------------------------------------------


def may_read_notes(org: OrgContext, participant: Participant) -> bool:
    """Notes are P3. In this slice everyone who can see the record may read them; the field is
    already separate so a narrower rule changes only this function."""
    return True


def participant_out(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "preferred_name": participant.preferred_name,
        "legal_name": participant.legal_name,
        "pronouns": participant.pronouns,
        "date_of_birth": participant.date_of_birth,
        "age_band": participant.age_band,
        "age": participant.age_on(timezone.localdate()),
        "languages": list(participant.languages or []),
        "email": participant.email,
        "phone": participant.phone,
        "preferred_contact": participant.preferred_contact,
        "safe_to_voicemail": participant.safe_to_voicemail,
        "safe_to_text": participant.safe_to_text,
        "safe_to_email": participant.safe_to_email,
        "postcode": participant.postcode,
        "accessibility_needs": participant.accessibility_needs,
        "looking_for": [name for name, field in LOOKING_FOR.items() if getattr(participant, field)],
        "status": participant.status,
        "assigned_peer_id": participant.assigned_peer_id,
        "part2": participant.part2,
        "created_at": participant.created_at,
        "updated_at": participant.updated_at,
    }


def participant_detail_out(org: OrgContext, participant: Participant) -> dict[str, Any]:
    return {
        **participant_out(participant),
        "notes": participant.notes if may_read_notes(org, participant) else None,
        "redisclosure_notice": services.redisclosure_notice(participant),
    }


def consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "participant_id": consent.participant_id,
        "purpose": consent.purpose,
        "recipient": consent.recipient,
        "given_by": consent.given_by,
        "guardian_id": consent.guardian_id,
        "method": consent.method,
        "signature": consent.signature,
        "witness": consent.witness,
        "granted_at": consent.granted_at,
        "valid_until": consent.valid_until,
        "recorded_by_id": consent.recorded_by_id,
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_by_id": consent.withdrawn_by_id,
        "part2": consent.part2,
        "part2_information": consent.part2_information,
        "part2_discloser": consent.part2_discloser,
        "part2_expiry_event": consent.part2_expiry_event,
    }


# --- Helpers ---------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@contextmanager
def _renamed(names: dict[str, str]) -> Iterator[None]:
    """Service errors name model fields; the API names the body's fields (``guardian`` → ``guardian_id``)."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError({names.get(k, k): v for k, v in exc.error_dict.items()}) from exc


def _peer(org: OrgContext, peer_id: UUID | None) -> User | None:
    if peer_id is None:
        return None
    membership = (
        Membership.objects.filter(organisation=org.organisation, user_id=peer_id, role=Role.PEER, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise DjangoValidationError({"assigned_peer_id": ["Choose a peer supporter of this organisation."]})
    return membership.user


def _participant_fields(payload: ParticipantPatch) -> dict[str, Any]:
    """The fields sent, as the services name them (``looking_for`` becomes three flags)."""
    fields = payload.model_dump(exclude_unset=True)
    looking_for = fields.pop("looking_for", None)
    if looking_for is not None:
        fields.update({field: name in looking_for for name, field in LOOKING_FOR.items()})
    return fields


def _require_any(org: OrgContext, permissions: tuple[str, ...]) -> None:
    if not any(org.can(p) for p in permissions):
        raise PermissionDenied


# --- Participants ----------------------------------------------------------------------------------

READ = {403: ErrorOut, 404: ErrorOut}
WRITE = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
CREATE = {**WRITE, 409: ErrorOut, 422: ErrorOut}


@router.get(
    PARTICIPANTS,
    response={200: ParticipantPage, 400: ErrorOut, **READ},
    summary="Participants the caller may see (peers: their caseload; supervisors: their team's)",
)
def participant_list(request: HttpRequest, org_slug: str, filters: Query[ParticipantFilter]) -> Any:
    with access.org_scope(_user(request), org_slug, "organisation.view") as org:
        _require_any(org, VIEW_PERMISSIONS)
        qs = selectors.participant_list(org, status=filters.status, query=filters.q)
        items = list(qs[filters.offset : filters.offset + filters.limit])
        return {"count": qs.count(), "items": [participant_out(p) for p in items]}


@router.post(
    PARTICIPANTS,
    response={201: ParticipantDetailOut, **CREATE},
    summary="Add a participant (honours Idempotency-Key)",
    openapi_extra=idempotency_openapi(),
)
def participant_create(request: HttpRequest, org_slug: str, payload: ParticipantIn) -> Any:
    with access.org_scope(_user(request), org_slug, "participants.create") as org:

        def create() -> tuple[int, dict[str, Any]]:
            fields = _participant_fields(payload)
            peer = _peer(org, fields.pop("assigned_peer_id", None))
            with _renamed({"assigned_peer": "assigned_peer_id"}):
                participant = services.participant_create(
                    acting_user=org.user, organisation=org.organisation, assigned_peer=peer, **fields
                )
            return 201, participant_detail_out(org, participant)

        return idempotent(request, create)


@router.get(
    PARTICIPANT,
    response={200: ParticipantDetailOut, **READ},
    summary="One participant (the read is recorded in the access log)",
)
def participant_detail(request: HttpRequest, org_slug: str, participant_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "organisation.view") as org:
        participant = access_participant(org, participant_id)
        services.participant_viewed(acting_user=org.user, participant=participant)
        return participant_detail_out(org, participant)


@router.patch(
    PARTICIPANT,
    response={200: ParticipantDetailOut, **WRITE},
    summary="Change a participant: only the fields sent change",
)
def participant_update(request: HttpRequest, org_slug: str, participant_id: UUID, payload: ParticipantPatch) -> Any:
    with access.org_scope(_user(request), org_slug, "participants.change") as org:
        participant = access_participant(org, participant_id, write=True)
        fields = _participant_fields(payload)
        reassign = "assigned_peer_id" in fields
        peer = _peer(org, fields.pop("assigned_peer_id", None))
        with transaction.atomic(), _renamed({"assigned_peer": "assigned_peer_id"}):
            if fields:
                participant = services.participant_update(acting_user=org.user, participant=participant, **fields)
            if reassign and peer != participant.assigned_peer:
                participant = services.participant_assign_peer(acting_user=org.user, participant=participant, peer=peer)
        participant.refresh_from_db()
        return participant_detail_out(org, participant)


# --- Consents --------------------------------------------------------------------------------------


@router.get(
    CONSENTS,
    response={200: ConsentPage, 400: ErrorOut, **READ},
    summary="A participant's consents, newest first (withdrawn ones included)",
    tags=["consents"],
)
def consent_list(request: HttpRequest, org_slug: str, participant_id: UUID, page: Query[PageParams]) -> Any:
    with access.org_scope(_user(request), org_slug, "organisation.view") as org:
        participant = access_participant(org, participant_id)
        qs = Consent.objects.filter(participant=participant).order_by("-granted_at", "-id")
        items = list(qs[page.offset : page.offset + page.limit])
        return {"count": qs.count(), "items": [consent_out(c) for c in items]}


@router.post(
    CONSENTS,
    response={201: ConsentOut, **CREATE},
    summary="Record a consent (honours Idempotency-Key)",
    tags=["consents"],
    openapi_extra=idempotency_openapi(),
)
def consent_create(request: HttpRequest, org_slug: str, participant_id: UUID, payload: ConsentIn) -> Any:
    with access.org_scope(_user(request), org_slug, "consent.record") as org:
        participant = access_participant(org, participant_id)

        def grant() -> tuple[int, dict[str, Any]]:
            guardian = None
            if payload.guardian_id is not None:
                guardian = Guardian.objects.filter(participant=participant, pk=payload.guardian_id).first()
                if guardian is None:
                    raise DjangoValidationError({"guardian_id": ["Choose a guardian of this person."]})
            with _renamed({"guardian": "guardian_id"}):
                consent = services.consent_grant(
                    acting_user=org.user,
                    participant=participant,
                    guardian=guardian,
                    **payload.model_dump(exclude={"guardian_id"}),
                )
            return 201, consent_out(consent)

        return idempotent(request, grant)


@router.post(
    CONSENTS + "/{consent_id}/withdraw",
    response={200: ConsentOut, **READ},
    summary="Withdraw a consent: it stops covering anything at once",
    tags=["consents"],
)
def consent_withdraw(request: HttpRequest, org_slug: str, participant_id: UUID, consent_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "consent.record") as org:
        participant = access_participant(org, participant_id)
        consent = Consent.objects.filter(participant=participant, pk=consent_id).first()
        if consent is None:
            raise Http404
        return consent_out(services.consent_withdraw(acting_user=org.user, consent=consent))
