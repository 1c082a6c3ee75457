"""Matrix routes of people/api_referrals.py (see tests/matrix.py): referrals and the FHIR exports."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.people import referrals, services
from alongside.people.models import Consent, PartnerOrganisation, Referral
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant

REASON = "Matrix reason that must stay private"


def tenant_referral(t: Any) -> Referral:
    """The tenant's sample referral of its sample participant, made by its referrer for its
    partner, with the person's consent to share with that referrer (made once)."""
    participant = tenant_participant(t)
    with scopes_disabled():
        existing = Referral.objects.filter(organisation=t.organisation, participant=participant).first()
        if existing is not None:
            return existing
        referrer = t.user("referrer")
        partner, _ = PartnerOrganisation.objects.get_or_create(
            organisation=t.organisation, name=f"{t.organisation.name} General", defaults={"kind": "hospital"}
        )
        partner.referrers.add(referrer)
        services.consent_grant(
            acting_user=t.user("coordinator"),
            participant=participant,
            purpose="share_referrer",
            recipient=referrer.display_name,
            given_by="self",
            method="e_signature",
            signature="Sam Sample",
        )
        return referrals.referral_create(
            acting_user=referrer,
            organisation=t.organisation,
            participant=participant,
            partner=partner,
            referrer=referrer,
            reason=REASON,
            urgency="soon",
            consent_attested=True,
        )


def _referral(t: Any) -> dict[str, str]:
    return {"referral_id": str(tenant_referral(t).pk)}


def _consent(t: Any) -> dict[str, str]:
    participant = tenant_participant(t)
    tenant_referral(t)  # makes the share_referrer consent
    with scopes_disabled():
        consent = Consent.objects.filter(participant=participant).order_by("granted_at").first()
    assert consent is not None
    return {"participant_id": str(participant.pk), "consent_id": str(consent.pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.preferred_name, participant.email, REASON]


register(Route("api:referral_list", api=True, secrets=_secrets))
register(
    Route(
        "api:referral_create",
        method="POST",
        api=True,
        data=lambda t: {
            "person": {"preferred_name": "Injected Person", "email": "injected@example.org"},
            "reason": "Injected",
            "consent_attested": True,
        },
    )
)
register(Route("api:referral_detail", api=True, objects=_referral, secrets=_secrets))
register(
    Route(
        "api:referral_status",
        method="POST",
        api=True,
        objects=_referral,
        secrets=_secrets,
        data=lambda t: {"status": "contact_attempted"},
    )
)
register(Route("api:referral_fhir", api=True, objects=_referral, secrets=_secrets))
register(Route("api:consent_fhir", api=True, objects=_consent, secrets=_secrets))
