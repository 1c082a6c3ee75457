"""Staff pages for what is recorded about a participant: consent, contacts, family, guardians,
lived experience; and a peer supporter's own profile."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alongside.accounts import selectors as account_selectors
from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.people import documents, selectors, services
from alongside.people.access import access_participant, visible_participants
from alongside.people.forms.records import (
    RIGHT_TO_REVOKE,
    ConsentForm,
    ContactForm,
    ExperiencesForm,
    FamilyLinkForm,
    GuardianForm,
    PeerProfileForm,
)
from alongside.people.models import Guardian, LivedExperienceTerm, Participant, ServiceModel


def _profile(org: OrgContext, participant: Participant) -> HttpResponse:
    return redirect(reverse("people:participant_detail", args=[org.organisation.slug, participant.pk]))


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400 if request.method == "POST" else 200)


# --- Consent ------------------------------------------------------------------------------------


def consent_rule_text(org: OrgContext, participant: Participant) -> str:
    """Who may consent for this person, in plain words (services.consent_rule decides)."""
    rule = services.consent_rule(participant)
    name = participant.preferred_name
    exact_age = participant.age_on(timezone.localdate())
    if exact_age is not None:
        age = _("%(name)s is %(age)d") % {"name": name, "age": exact_age}
    elif participant.age_band:
        age = _("%(name)s is in the %(band)s age band") % {"name": name, "band": participant.get_age_band_display()}
    else:
        age = ""
    if not rule.is_minor:
        if not age:
            return _(
                "We have no age on record for %(name)s, so %(name)s gives their own consent. If %(name)s is under "
                "%(majority)d, add their date of birth first."
            ) % {"name": name, "majority": org.organisation.age_of_majority}
        return _("%(name)s is an adult, so only %(name)s can give this consent.") % {"name": name}
    if rule.may_consent_alone:
        return _("Because %(age)s and may consent alone, only %(name)s can agree to this.") % {"age": age, "name": name}
    return _("Because %(age)s, a parent or legal guardian needs to give this consent for %(name)s.") % {
        "age": age,
        "name": name,
    }


@org_view("consent.record")
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    rule = services.consent_rule(participant)
    form = ConsentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        participant=participant,
        may_consent_alone=rule.may_consent_alone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            # The consent and its signed form are saved together, or neither is.
            with transaction.atomic():
                consent = services.consent_grant(acting_user=org.user, participant=participant, **form.service_kwargs())
                if form.cleaned_data.get("document"):
                    documents.consent_document_attach(
                        acting_user=org.user, consent=consent, upload=form.cleaned_data["document"]
                    )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return _profile(org, participant)
    guardians = list(Guardian.objects.filter(participant=participant, is_legal_guardian=True))
    return _page(
        request,
        "people/records/consent_form.html",
        {
            "org": org,
            "participant": participant,
            "form": form,
            "rule": rule,
            "rule_text": consent_rule_text(org, participant),
            "has_guardian": bool(guardians),
            "can_add_guardian": org.can("participants.change"),
            "right_to_revoke": RIGHT_TO_REVOKE,
        },
    )


@org_view("consent.record")
@require_POST
def consent_withdraw(request: HttpRequest, org: OrgContext, participant_id: str, consent_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    consent = selectors.participant_consent(participant, consent_id)
    if consent is None:
        raise Http404
    services.consent_withdraw(acting_user=org.user, consent=consent)
    messages.success(request, _("Withdrawn — it stops any sharing at once."))
    return _profile(org, participant)


# --- Contacts -----------------------------------------------------------------------------------


@org_view("contacts.log")
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    # A link may preselect the kind of support (the referral page asks for "Referral follow-up").
    preselect = request.GET.get("service_model", "")
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        organisation=org.organisation,
        programs=account_selectors.programs_for(org.organisation).order_by("name"),
    )
    if preselect in ServiceModel.values:
        form.initial["service_model"] = preselect
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record_create(
                acting_user=org.user, participant=participant, organisation=org.organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact logged."))
            return _profile(org, participant)
    return _page(request, "people/records/contact_form.html", {"org": org, "participant": participant, "form": form})


# --- Family and guardians -----------------------------------------------------------------------


@org_view("participants.change")
@require_http_methods(["GET", "POST"])
def family_link_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    candidates = visible_participants(org).exclude(pk=participant.pk).order_by("preferred_name", "created_at")
    form = FamilyLinkForm(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.family_link_create(acting_user=org.user, family_member=participant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Family link added."))
            return _profile(org, participant)
    return _page(request, "people/records/family_form.html", {"org": org, "participant": participant, "form": form})


@org_view("participants.change")
@require_http_methods(["GET", "POST"])
def guardian_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    form = GuardianForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_create(acting_user=org.user, participant=participant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Parent or guardian added."))
            return _profile(org, participant)
    return _page(request, "people/records/guardian_form.html", {"org": org, "participant": participant, "form": form})


# --- Lived experience ---------------------------------------------------------------------------


def _vocabulary(org: OrgContext) -> list[LivedExperienceTerm]:
    terms = list(selectors.vocabulary(org.organisation))
    if not terms:
        services.vocabulary_ensure_defaults(acting_user=org.user, organisation=org.organisation)
        terms = list(selectors.vocabulary(org.organisation))
    return terms


@org_view("consent.record")
@require_http_methods(["GET", "POST"])
def experiences_edit(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    terms = _vocabulary(org)
    current = {pe.term_id: pe.use_for_matching for pe in participant.experiences.all()}
    form = ExperiencesForm(request.POST if request.method == "POST" else None, terms=terms, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_set_experiences(
                acting_user=org.user, participant=participant, selections=form.selections()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Lived experience saved."))
            return _profile(org, participant)
    return _page(
        request, "people/records/experiences_form.html", {"org": org, "participant": participant, "form": form}
    )


# --- The peer supporter's own profile -----------------------------------------------------------


@org_view("peer_profile.edit_own")
@require_http_methods(["GET", "POST"])
def peer_profile_edit(request: HttpRequest, org: OrgContext) -> HttpResponse:
    terms = _vocabulary(org)
    profile = selectors.peer_profile(org.organisation, org.user.pk)
    initial: dict[str, Any] = {"caseload_limit": 8, "status": "active"}
    if profile is not None:
        initial = {
            "bio": profile.bio,
            "languages": profile.languages,
            "specialties": profile.specialties,
            "modalities": profile.modalities,
            "service_area": profile.service_area,
            "availability": profile.availability,
            "caseload_limit": profile.caseload_limit,
            "status": profile.status,
            "shared_experiences": [t.pk for t in profile.shared_experiences.all()],
        }
    form = PeerProfileForm(request.POST if request.method == "POST" else None, terms=terms, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.peer_profile_update(
                acting_user=org.user, organisation=org.organisation, user=org.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("people:peer_profile_edit", org.organisation.slug)
    return _page(request, "people/records/peer_profile_form.html", {"org": org, "form": form})
