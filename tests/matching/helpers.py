"""Set-up for matching tests: peers with profiles, people with lived experience, requests."""

from __future__ import annotations

import itertools
from typing import Any

from alongside.accounts import services as account_services
from alongside.accounts.models import User
from alongside.matching import services
from alongside.matching.models import MatchRequest
from alongside.people import services as people_services
from alongside.people.models import LivedExperienceTerm, Participant, PeerProfile

_n = itertools.count()


def terms(tenant: Any) -> dict[str, LivedExperienceTerm]:
    people_services.vocabulary_ensure_defaults(acting_user=None, organisation=tenant.organisation)
    return {t.label: t for t in LivedExperienceTerm.objects.filter(organisation=tenant.organisation)}


def make_peer(
    tenant: Any,
    name: str,
    *,
    shared: tuple[str, ...] = ("Alcohol",),
    languages: tuple[str, ...] = ("en",),
    specialties: tuple[str, ...] = (),
    modalities: tuple[str, ...] = ("phone", "video"),
    availability: dict[str, list[str]] | None = None,
    caseload_limit: int = 5,
    gender: str = "",
    location: tuple[float, float, int] | None = None,
    user: User | None = None,
) -> User:
    """A peer supporter with a profile (a new account unless ``user`` is given)."""
    if user is None:
        user = account_services.user_create(
            acting_user=None,
            email=f"{name.lower()}{next(_n)}@{tenant.organisation.slug}.test",
            password=None,
            full_name=f"{name} Example",
        )
        account_services.membership_grant(acting_user=None, organisation=tenant.organisation, user=user, role="peer")
    vocab = terms(tenant)
    profile = people_services.peer_profile_update(
        acting_user=user,
        organisation=tenant.organisation,
        user=user,
        shared_experiences=[vocab[label] for label in shared],
        bio=f"I'm {name}.",
        languages=list(languages),
        specialties=list(specialties),
        modalities=list(modalities),
        availability=availability if availability is not None else {"tue": ["evening"], "sat": ["morning"]},
        caseload_limit=caseload_limit,
    )
    if gender or location:
        lat, lon, km = location or (None, None, None)
        services.peer_matching_details_update(
            acting_user=user, profile=profile, gender=gender, home_latitude=lat, home_longitude=lon, travel_km=km
        )
    return user


def make_person(
    tenant: Any, name: str = "Robin", *, matching: tuple[str, ...] = ("Alcohol",), private: tuple[str, ...] = ()
) -> Participant:
    """A participant who shares ``matching`` for matching and ``private`` only for their record."""
    person = people_services.participant_create(
        acting_user=tenant.user("coordinator"),
        organisation=tenant.organisation,
        preferred_name=name,
        languages=["en"],
        looking_for_mentorship=True,
    )
    vocab = terms(tenant)
    selections = {vocab[label]: True for label in matching}
    selections.update({vocab[label]: False for label in private})
    people_services.participant_set_experiences(
        acting_user=tenant.user("coordinator"), participant=person, selections=selections
    )
    return person


def make_request(tenant: Any, person: Participant | None = None, **fields: Any) -> MatchRequest:
    person = person or make_person(tenant)
    vocab = terms(tenant)
    experiences = fields.pop("experiences", ("Alcohol",))
    program = fields.pop("program", tenant.program)
    defaults: dict[str, Any] = {
        "languages": ["en"],
        "modalities": ["phone", "video"],
        "availability": {"tue": ["evening"]},
    }
    defaults.update(fields)
    return services.match_request_create(
        acting_user=tenant.user("coordinator"),
        participant=person,
        program=program,
        experiences=[vocab[label] for label in experiences],
        **defaults,
    )


def profile_of(tenant: Any, user: User) -> PeerProfile:
    return PeerProfile.objects.get(organisation=tenant.organisation, user=user)
