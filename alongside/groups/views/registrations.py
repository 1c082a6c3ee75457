"""Staff pages of a group's registrations (``groups.register``): the registered people and the
waitlist with a form to register a participant, one registration (contact details: an audited
read), cancelling a place (the first person waiting is promoted), and the attendance letter.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.core.forms import add_service_errors
from alongside.core.pdf import attachment_disposition
from alongside.groups import letters
from alongside.groups import registration as reg
from alongside.groups import services as group_services
from alongside.groups.forms_roster import StaffRegisterForm
from alongside.groups.models import Group, Registration, RegistrationStatus
from alongside.groups.views.roster import group_in
from alongside.people.access import visible_participants
from alongside.people.models import ParticipantStatus

PEOPLE_OFFERED = 1000


def _registration(org: OrgContext, group: Group, registration_id: Any) -> Registration:
    found = (
        Registration.objects.filter(organisation=org.organisation, group=group, pk=parse_uuid_or_404(registration_id))
        .select_related("group", "group__organisation", "participant")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _people(org: OrgContext) -> list[tuple[str, str]]:
    people = (
        visible_participants(org)
        .exclude(status__in=[ParticipantStatus.CLOSED])
        .filter(anonymised_at__isnull=True, erasure_requested_at__isnull=True)
        .order_by("preferred_name", "pk")
        .only("pk", "preferred_name")[:PEOPLE_OFFERED]
    )
    return [(str(p.pk), p.preferred_name) for p in people]


@org_view("groups.register")
@require_http_methods(["GET", "POST"])
def registration_list(request: HttpRequest, org: OrgContext, group_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    has_agreement = group_services.current_agreement(group) is not None
    people = _people(org)
    status = 200
    if request.method == "POST":
        form = StaffRegisterForm(request.POST, people=people, has_agreement=has_agreement)
        if form.is_valid():
            participant = (
                visible_participants(org).filter(pk=parse_uuid_or_404(form.cleaned_data["participant"])).first()
            )
            if participant is None:
                raise Http404
            try:
                result = reg.register_staff(
                    acting_user=org.user,
                    group=group,
                    participant=participant,
                    agreement_acknowledged=bool(form.cleaned_data.get("agreement_acknowledged")),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if result.registration.status == RegistrationStatus.WAITLISTED:
                    messages.success(request, _("The group is full, so the person is on the waitlist."))
                else:
                    messages.success(request, _("Registered."))
                return redirect("groups:registration_list", org.organisation.slug, group.pk)
        status = 400
    else:
        form = StaffRegisterForm(people=people, has_agreement=has_agreement)
    rows = list(
        Registration.objects.filter(organisation=org.organisation, group=group, status__in=reg.ACTIVE).order_by(
            "status", "waitlisted_at", "registered_at", "first_name"
        )
    )
    context = {
        "org": org,
        "group": group,
        "form": form if reg.needs_registration(group) else None,
        "registered": [r for r in rows if r.status == RegistrationStatus.REGISTERED],
        "waiting": [r for r in rows if r.status == RegistrationStatus.WAITLISTED],
        "places_left": reg.places_left(group),
    }
    return render(request, "groups/registrations/list.html", context, status=status)


@org_view("groups.register")
@require_GET
def registration_detail(request: HttpRequest, org: OrgContext, group_id: str, registration_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    registration = _registration(org, group, registration_id)
    reg.registration_viewed(acting_user=org.user, registration=registration)
    facts = letters.attendance_facts(registration)
    context = {
        "org": org,
        "group": group,
        "registration": registration,
        "position": reg.waitlist_position(registration),
        "facts": facts,
    }
    return render(request, "groups/registrations/detail.html", context)


@org_view("groups.register")
@require_POST
def registration_cancel(request: HttpRequest, org: OrgContext, group_id: str, registration_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    registration = _registration(org, group, registration_id)
    reg.registration_cancel(acting_user=org.user, registration=registration)
    messages.success(request, _("The place was cancelled. If someone was waiting, they have it now."))
    return redirect("groups:registration_list", org.organisation.slug, group.pk)


@org_view("groups.register")
@require_POST
def registration_letter(request: HttpRequest, org: OrgContext, group_id: str, registration_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    registration = _registration(org, group, registration_id)
    try:
        pdf = letters.attendance_letter(acting_user=org.user, registration=registration)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("groups:registration_detail", org.organisation.slug, group.pk, registration.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition("attendance-letter.pdf")
    response["Cache-Control"] = "no-store"
    return response
