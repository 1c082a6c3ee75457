"""Matrix routes of people/views/referrals.py (see tests/matrix.py): the board, the form, one
referral and its steps, the referrer's own view, and the partners."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.people import referrals
from alongside.people.models import PartnerOrganisation, Referral
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant

REASON = "Sample referral reason that must stay private"


def tenant_partner(tenant: Any) -> PartnerOrganisation:
    """The tenant's sample partner, with the tenant's referrer linked to it (made once)."""
    name = f"{tenant.organisation.slug.title()} General Hospital"
    with scopes_disabled():
        partner = PartnerOrganisation.objects.filter(organisation=tenant.organisation, name=name).first()
        if partner is None:
            partner = referrals.partner_create(
                acting_user=tenant.user("coordinator"),
                organisation=tenant.organisation,
                name=name,
                kind="hospital",
                contact_email=f"referrals@{tenant.organisation.slug}-general.example.org",
            )
            referrals.partner_set_referrers(
                acting_user=tenant.user("coordinator"), partner=partner, referrers=[tenant.user("referrer")]
            )
    return partner


def tenant_referral(tenant: Any) -> Referral:
    """The tenant's sample referral of its sample participant, by its referrer (made once)."""
    participant = tenant_participant(tenant)
    with scopes_disabled():
        existing = Referral.objects.filter(organisation=tenant.organisation, participant=participant).first()
        if existing is not None:
            return existing
        return referrals.referral_create(
            acting_user=tenant.user("referrer"),
            organisation=tenant.organisation,
            participant=participant,
            partner=tenant_partner(tenant),
            referrer=tenant.user("referrer"),
            reason=REASON,
            urgency="soon",
            consent_attested=True,
        )


def _referral(t: Any) -> dict[str, str]:
    return {"referral_id": str(tenant_referral(t).pk)}


def _partner(t: Any) -> dict[str, str]:
    return {"partner_id": str(tenant_partner(t).pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.preferred_name, participant.email, REASON, tenant_partner(t).name]


def _new_referral(t: Any) -> dict[str, str]:
    return {
        "preferred_name": "Injected",
        "email": "injected@example.org",
        "reason": "Injected",
        "urgency": "routine",
        "consent_attested": "on",
    }


def _partner_data(t: Any) -> dict[str, str]:
    return {"name": "Taken over", "kind": "clinic", "is_active": "on"}


for _name in ["people:referral_board", "people:referral_create", "people:my_referrals", "people:partner_list"]:
    register(Route(_name, secrets=_secrets))
register(Route("people:partner_create", secrets=_secrets))
register(Route("people:referral_create", method="POST", secrets=_secrets, data=_new_referral))
register(Route("people:partner_create", method="POST", secrets=_secrets, data=_partner_data))

register(Route("people:referral_detail", objects=_referral, secrets=_secrets))
register(Route("people:my_referral_detail", objects=_referral, secrets=_secrets))
register(
    Route(
        "people:referral_step",
        method="POST",
        objects=_referral,
        secrets=_secrets,
        data=lambda t: {"status": "contact_attempted"},
    )
)
register(Route("people:partner_edit", objects=_partner, secrets=_secrets))
register(Route("people:partner_edit", method="POST", objects=_partner, secrets=_secrets, data=_partner_data))
