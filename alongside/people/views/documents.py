"""Signed consent forms: upload one for a consent, download it (always as an attachment), remove a
wrong one. The record scope applies: a form of a record outside it answers like a missing one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.core.pdf import attachment_disposition
from alongside.people import documents, selectors
from alongside.people.access import access_participant
from alongside.people.forms.records import ConsentDocumentForm
from alongside.people.models import Participant

# The same roles that may open the profile may read the forms on it (people/views/participants.py).
VIEW_PERMISSIONS = ("participants.view_all", "participants.view_team", "participants.view_own")


def _consent_section(org: OrgContext, participant: Participant) -> HttpResponse:
    url = reverse("people:participant_detail", args=[org.organisation.slug, participant.pk])
    return redirect(url + "#consent-documents-h")


@org_view("consent.record")
@require_http_methods(["GET", "POST"])
def consent_document_upload(
    request: HttpRequest, org: OrgContext, participant_id: str, consent_id: str
) -> HttpResponse:
    participant = access_participant(org, participant_id)
    consent = selectors.participant_consent(participant, consent_id)
    if consent is None:
        raise Http404
    form = ConsentDocumentForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            documents.consent_document_attach(
                acting_user=org.user, consent=consent, upload=form.cleaned_data["document"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Signed form uploaded. It is stored encrypted."))
            return _consent_section(org, participant)
    context = {"org": org, "participant": participant, "consent": consent, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "people/records/_consent_document_upload.html", context, status=status)


@org_view("organisation.view")
@require_GET
def consent_document_download(
    request: HttpRequest, org: OrgContext, participant_id: str, document_id: str
) -> HttpResponse:
    """The file, only ever as a download: never rendered by the browser, never cached."""
    if not any(org.can(p) for p in VIEW_PERMISSIONS):
        raise PermissionDenied
    participant = access_participant(org, participant_id)
    document = documents.participant_document(participant, document_id)
    if document is None:
        raise Http404
    content = documents.consent_document_read(acting_user=org.user, document=document)
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = attachment_disposition(document.filename)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into showing it, the file could run nothing and load nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@org_view("participants.change")
@require_POST
def consent_document_delete(
    request: HttpRequest, org: OrgContext, participant_id: str, document_id: str
) -> HttpResponse:
    participant = access_participant(org, participant_id, write=True)
    document = documents.participant_document(participant, document_id, with_content=False)
    if document is None:
        raise Http404
    documents.consent_document_delete(acting_user=org.user, document=document)
    messages.success(request, _("The signed form was removed."))
    return _consent_section(org, participant)
