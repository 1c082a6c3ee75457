"""Participants' rights: the staff pages (erasure, private links, access history) and the person's
own private pages under ``/me/`` (no account: a private link, then a short session bound to it).

Staff pages reach records through ``people.access`` like every other page. The self-service pages
are public URLs guarded by the session the private link starts; they take no id in the URL, show
only the linked person's data, never cache, and always show the crisis notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, recent_auth_required
from alongside.core.forms import add_service_errors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.people import rights, services
from alongside.people.access import access_participant
from alongside.people.forms.rights import ErasureForm
from alongside.people.models import Participant, ParticipantAccessLink
from alongside.people.views.self_service import SESSION_KEY, no_store, not_working, self_service, session_link

# --- Staff: erasure -----------------------------------------------------------------------------


def _anonymise_on_if_requested(participant: Participant) -> datetime:
    """The day the record could be anonymised if erasure were asked for now (it closes now if open)."""
    return rights.retention_ends(participant) or timezone.now() + timedelta(
        days=participant.organisation.retention_closed_records_days
    )


@org_view("participants.erase")
@require_http_methods(["GET", "POST"])
@recent_auth_required()
def participant_erase(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    form = ErasureForm(request.POST if request.method == "POST" else None, name=participant.preferred_name)
    if request.method == "POST" and participant.anonymised_at is None and form.is_valid():
        try:
            outcome = rights.participant_erasure_request(
                acting_user=org.user,
                participant=participant,
                override_retention=form.cleaned_data["override_retention"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if outcome.anonymised:
                messages.success(request, _("The record was anonymised. Names, contact details and notes are gone."))
            else:
                assert outcome.anonymise_on is not None
                messages.success(
                    request,
                    _(
                        "The erasure request is recorded and the record is restricted. It will be anonymised "
                        "on %(date)s, when the retention period ends."
                    )
                    % {"date": date_format(timezone.localdate(outcome.anonymise_on), "j M Y")},
                )
            return redirect("people:participant_detail", org.organisation.slug, participant.pk)
    context = {
        "org": org,
        "participant": participant,
        "form": form,
        "anonymise_on": None if participant.anonymised_at else _anonymise_on_if_requested(participant),
        "retention_days": org.organisation.retention_closed_records_days,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "people/rights/erase.html", context, status=status)


# --- Staff: the person's private link -----------------------------------------------------------


@org_view("participants.access_link")
@require_POST
def access_link_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    """Make a new private link and show it once (this response is the only place it appears)."""
    participant = access_participant(org, participant_id)
    context: dict[str, Any] = {"org": org, "participant": participant}
    try:
        link, token = rights.access_link_create(acting_user=org.user, participant=participant)
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, "people/rights/access_link.html", context, status=400)
    context.update(
        link=link,
        url=settings.SITE_URL + reverse("people:self_start", args=[token]),
        valid_days=rights.ACCESS_LINK_VALID_FOR.days,
    )
    return render(request, "people/rights/access_link.html", context)


@org_view("participants.access_link")
@require_POST
def access_links_revoke(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    revoked = rights.access_links_revoke(acting_user=org.user, participant=participant)
    if revoked:
        messages.success(request, _("%(name)s's private link no longer works.") % {"name": participant.preferred_name})
    else:
        messages.info(request, _("%(name)s had no working private link.") % {"name": participant.preferred_name})
    return redirect("people:participant_detail", org.organisation.slug, participant.pk)


# --- Staff: who has viewed this record ----------------------------------------------------------


@org_view("audit.view")
@require_GET
def access_history(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    rights.access_history_viewed(acting_user=org.user, participant=participant)
    events = rights.access_history(participant)
    context = {"org": org, "participant": participant, "events": events, "limit": 200}
    return render(request, "people/rights/access_history.html", context)


# --- The person's own pages (/me/) --------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
@no_store
def self_start(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a calm page with a Continue button (so link previews do not use the link up);
    POST starts the visit and sends the person to /me/."""
    link = rights.access_link_for_token(token)
    if link is None:
        return not_working(request)
    organisation = link.participant.organisation
    if request.method == "POST":
        with tenant_scope(organisation):
            rights.access_link_use(link=link)
        now = timezone.now()
        request.session.cycle_key()
        request.session[SESSION_KEY] = {"link": str(link.pk), "since": now.isoformat()}
        if not request.user.is_authenticated:
            ends = min(link.expires_at, now + rights.SELF_SERVICE_SESSION_LIMIT)
            request.session.set_expiry(max(1, int((ends - now).total_seconds())))
        return redirect("people:self_home")
    # No name and no organisation name on this page: a link preview or a shoulder-surfer learns nothing.
    context = {"crisis_options": organisation.crisis_options, "quick_exit_url": organisation.quick_exit_url}
    return render(request, "people/self_service/start.html", context)


@public
@require_GET
@no_store
@self_service
def self_home(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    participant = link.participant
    rights.self_service_viewed(participant=participant)
    context = {
        "participant": participant,
        "organisation": participant.organisation,
        "events": rights.access_history(participant),
        "link": link,
    }
    return render(request, "people/self_service/home.html", context)


@public
@require_GET
@no_store
@self_service
def self_download(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    data = rights.self_service_export(participant=link.participant)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-information.json"'
    return response


@public
@require_GET
@no_store
@self_service
def self_information(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    data = rights.readable_export(rights.self_service_export(participant=link.participant))
    context = {
        "participant": link.participant,
        "organisation": link.participant.organisation,
        "data": data,
        "more_sections": services.export_more_sections(data),
    }
    return render(request, "people/self_service/information.html", context)


@public
@require_POST
@no_store
def self_leave(request: HttpRequest) -> HttpResponse:
    """Forget the link in this browser (works whether or not the visit had already ended)."""
    link = session_link(request)
    if link is not None:
        request.public_org = link.participant.organisation  # type: ignore[attr-defined]
    request.session.pop(SESSION_KEY, None)
    if not request.user.is_authenticated:
        request.session.flush()
    return render(request, "people/self_service/left.html")
