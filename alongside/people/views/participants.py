"""Staff pages for participant records: intake queue, list, intake form, profile, caseload.

Every page reaches records through ``people.selectors`` / ``people.access`` (the record scope) and
every write goes through ``people.services``. A record outside the scope answers like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, recent_auth_required
from alongside.core.forms import add_service_errors
from alongside.core.pdf import attachment_disposition
from alongside.people import selectors, services
from alongside.people.access import access_participant
from alongside.people.documents import consent_documents, export_pdf
from alongside.people.forms.participants import AssignPeerForm, EnrolForm, MergeForm, ParticipantForm, StatusForm
from alongside.people.models import Participant, ParticipantStatus

PAGE_SIZE = 50
VIEW_PERMISSIONS = ("participants.view_all", "participants.view_team", "participants.view_own")


def _require_some_record_scope(org: OrgContext) -> None:
    """Referrers and funders hold no participant scope: the list and profiles are not theirs."""
    if not any(org.can(p) for p in VIEW_PERMISSIONS):
        raise PermissionDenied


def _safety_notes(participant: Participant) -> list[dict[str, Any]]:
    """What to know before contacting them, unsafe and unknown first. Unknown is never assumed safe."""
    answers = [
        (
            participant.safe_to_voicemail,
            _("Voicemails are OK."),
            _("Do not leave voicemails."),
            _("Not yet asked about voicemail: do not leave one."),
        ),
        (
            participant.safe_to_text,
            _("Text messages are OK."),
            _("Do not send text messages."),
            _("Not yet asked about texts: ask before texting."),
        ),
        (
            participant.safe_to_email,
            _("Email is OK."),
            _("Do not send email."),
            _("Not yet asked about email: ask before emailing."),
        ),
    ]
    notes = []
    for answer, ok, no, unknown in answers:
        if answer is True:
            notes.append({"text": ok, "ok": True})
        else:
            notes.append({"text": no if answer is False else unknown, "ok": False})
    return sorted(notes, key=lambda n: n["ok"])


# --- Lists -------------------------------------------------------------------------------------


@org_view("intake.view")
@require_GET
def intake_queue(request: HttpRequest, org: OrgContext) -> HttpResponse:
    page = Paginator(selectors.intake_queue(org), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"participant": p, "waited": timesince(p.created_at, now, depth=1)} for p in page.object_list]
    return render(request, "people/participants/intake_queue.html", {"org": org, "page": page, "rows": rows})


@org_view("organisation.view")
@require_GET
def participant_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    _require_some_record_scope(org)
    status = request.GET.get("status", "").strip()
    if status and status not in ParticipantStatus.values:
        messages.warning(request, _("That status is not one we use, so all statuses are shown."))
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    participants = selectors.participant_list(org, status=status, query=query)
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "org": org,
        "page": page,
        "status": status,
        "query": query,
        "statuses": ParticipantStatus.choices,
    }
    return render(request, "people/participants/participant_list.html", context)


@org_view("participants.view_own")
@require_GET
def caseload(request: HttpRequest, org: OrgContext) -> HttpResponse:
    people = list(selectors.caseload(org))
    return render(request, "people/participants/caseload.html", {"org": org, "people": people})


# --- The intake form ---------------------------------------------------------------------------


@org_view("participants.create")
@require_http_methods(["GET", "POST"])
def participant_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = ParticipantForm(request.POST if request.method == "POST" else None, organisation=org.organisation)
    duplicates: list[Participant] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("create_anyway") != "1":
            duplicates = selectors.possible_duplicates(
                org.organisation,
                preferred_name=data["preferred_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                phone=data["phone"],
            )
        if not duplicates:
            try:
                participant = services.participant_create(
                    acting_user=org.user,
                    organisation=org.organisation,
                    assigned_peer=data["assigned_peer"],
                    **form.participant_fields(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Record added for %(name)s.") % {"name": participant.preferred_name})
                return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    # Possible duplicates are not an error but a choice (200): nothing is written until they choose.
    status = 400 if request.method == "POST" and not duplicates else 200
    context = {"org": org, "form": form, "participant": None, "duplicates": duplicates}
    return render(request, "people/participants/participant_form.html", context, status=status)


@org_view("participants.change")
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    form = ParticipantForm(
        request.POST if request.method == "POST" else None,
        organisation=org.organisation,
        with_peer=False,
        initial=ParticipantForm.initial_for(participant),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update(acting_user=org.user, participant=participant, **form.participant_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    status = 400 if request.method == "POST" else 200
    context = {"org": org, "form": form, "participant": participant, "duplicates": []}
    return render(request, "people/participants/participant_form.html", context, status=status)


# --- The profile -------------------------------------------------------------------------------


@org_view("organisation.view")
@require_GET
def participant_detail(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    _require_some_record_scope(org)
    participant = access_participant(org, participant_id)
    services.participant_viewed(acting_user=org.user, participant=participant)
    profile = selectors.participant_profile(participant)
    can_change = org.can("participants.change")
    context: dict[str, Any] = {
        "org": org,
        "participant": participant,
        "profile": profile,
        "age": services.participant_age(participant),
        "safety_notes": _safety_notes(participant),
        "current_consents": [c for c in profile.consents if c.withdrawn_at is None],
        "withdrawn_consents": [c for c in profile.consents if c.withdrawn_at is not None],
        "redisclosure_notice": services.redisclosure_notice(participant),
        "can_change": can_change,
        "can_merge": org.can("participants.merge"),
        "can_export": org.can("participants.export"),
        "can_record_consent": org.can("consent.record"),
        "can_log_contact": org.can("contacts.log"),
        "consent_documents": list(consent_documents(participant)),  # people/records/_consent_documents.html
    }
    if can_change:
        context["status_form"] = StatusForm(
            initial={"status": participant.status, "closed_reason": participant.closed_reason}
        )
        context["peer_form"] = AssignPeerForm(
            organisation=org.organisation, initial={"peer": participant.assigned_peer_id}
        )
        context["enrol_form"] = EnrolForm(organisation=org.organisation)
    return render(request, "people/participants/participant_detail.html", context)


# --- Actions on the profile (POST only) --------------------------------------------------------


def _action_failed(
    request: HttpRequest, org: OrgContext, participant: Participant, form: Form, *, title: str, action: str
) -> HttpResponse:
    """A small page with just the form and its errors: the profile itself is not re-read."""
    context = {"org": org, "participant": participant, "form": form, "title": title, "action": action}
    return render(request, "people/participants/action_form.html", context, status=400)


@org_view("participants.change")
@require_POST
def participant_status(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.participant_set_status(
                acting_user=org.user,
                participant=participant,
                status=form.cleaned_data["status"],
                closed_reason=form.cleaned_data["closed_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Status saved."))
            return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    return _action_failed(
        request, org, participant, form, title=_("Change the status"), action="people:participant_status"
    )


@org_view("participants.change")
@require_POST
def participant_assign_peer(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    form = AssignPeerForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        try:
            services.participant_assign_peer(
                acting_user=org.user, participant=participant, peer=form.cleaned_data["peer"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Peer supporter saved."))
            return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    return _action_failed(
        request, org, participant, form, title=_("Choose a peer supporter"), action="people:participant_assign_peer"
    )


@org_view("participants.change")
@require_POST
def participant_enrol(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    form = EnrolForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        try:
            services.enrolment_start(
                acting_user=org.user, participant=participant, program=form.cleaned_data["program"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Added to %(program)s.") % {"program": form.cleaned_data["program"].name})
            return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    return _action_failed(
        request, org, participant, form, title=_("Add to a program"), action="people:participant_enrol"
    )


@org_view("participants.merge")
@require_http_methods(["GET", "POST"])
def participant_merge(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    duplicates = selectors.possible_duplicates(
        org.organisation,
        preferred_name=participant.preferred_name,
        date_of_birth=participant.date_of_birth,
        email=participant.email,
        phone=participant.phone,
        exclude_id=participant.pk,
    )
    form = MergeForm(request.POST if request.method == "POST" else None, duplicates=duplicates)
    if request.method == "POST" and form.is_valid():
        # The other record must be one this person may see: otherwise the same 404 as a missing id.
        other = access_participant(org, form.cleaned_data["other"])
        if other.pk == participant.pk:
            form.add_error(None, _("A record cannot be merged into itself. Choose the other record."))
        else:
            try:
                services.participant_merge(acting_user=org.user, keep=participant, duplicate=other)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The other record was merged into this one. Its history is now here, and it is closed."),
                )
                return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    status = 400 if request.method == "POST" else 200
    context = {"org": org, "participant": participant, "form": form, "duplicates": duplicates}
    return render(request, "people/participants/merge.html", context, status=status)


@org_view("participants.export")
@require_GET
@recent_auth_required()
def participant_export(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    """Everything held about the person: JSON or PDF to download, or a readable page to print."""
    participant = access_participant(org, participant_id)
    data = services.participant_export(acting_user=org.user, participant=participant)
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="participant-{participant.pk}.json"'
        return response
    if request.GET.get("format") == "pdf":
        pdf = HttpResponse(export_pdf(data, organisation=org.organisation), content_type="application/pdf")
        pdf["Content-Disposition"] = attachment_disposition(f"participant-{participant.pk}.pdf")
        return pdf
    more = services.export_more_sections(data)
    context = {"org": org, "participant": participant, "data": data, "more_sections": more}
    return render(request, "people/participants/export.html", context)
