"""The UI shell: public pages, the staff home per role, and organisation administration."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from alongside.accounts import access, selectors, services
from alongside.accounts.access import OrgContext, network_view, org_view
from alongside.accounts.forms import InviteForm, RolesForm
from alongside.accounts.models import Role, User
from alongside.audit.selectors import events_for_organisation
from alongside.audit.services import record
from alongside.core.forms import add_service_errors
from alongside.core.policy import public, signed_in
from alongside.directory import maps as directory_maps
from alongside.directory import selectors as directory_selectors
from alongside.web.forms import OrganisationSettingsForm, ProgramForm, SiteForm

# --- Public ----------------------------------------------------------------------------------


@public
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.public_organisations_page(request.GET.get("page"))
    return render(request, "web/home.html", {"organisations": page.object_list, "page": page})


@public
@require_GET
def org_public_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = selectors.organisation_by_slug(org_slug)
    if organisation is None:
        raise Http404
    request.public_org = organisation  # type: ignore[attr-defined]
    from alongside.core.tenancy import tenant_scope

    with tenant_scope(organisation):
        programs = list(selectors.public_programs(organisation))
        sites = list(selectors.public_sites(organisation))
        groups = list(directory_selectors.organisation_groups(organisation)[:50])
        venue_map = directory_maps.map_for(organisation, directory_maps.group_venues(groups))
        context = {"organisation": organisation, "programs": programs, "sites": sites, "groups": groups}
        context["map"] = venue_map
        return directory_maps.allow_tiles(render(request, "web/org_public.html", context), venue_map)


@public
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    return django_set_language(request)


@public
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@public
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    from django.conf import settings

    checks: dict[str, str] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = "unavailable"
        ok = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "unavailable"
            ok = False
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


# --- Signed in -------------------------------------------------------------------------------


@signed_in
@require_GET
def app_home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: straight into the one organisation, or a choice between several."""
    user: User = request.user  # type: ignore[assignment]
    organisations = selectors.organisations_for_user(user)
    networks = selectors.networks_for_user(user)
    if len(organisations) == 1 and not networks:
        return redirect("web:staff_home", organisations[0][0].slug)
    return render(request, "web/app_home.html", {"organisations": organisations, "networks": networks})


@org_view("organisation.view")
@require_GET
def staff_home(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """A home for each role: what this person does here, and where to start."""
    organisation = org.organisation
    context: dict[str, Any] = {"org": org, "roles": sorted(org.roles)}
    if org.can("programs.view"):
        context["programs"] = list(selectors.programs_for(organisation))
    if org.can("staff.view"):
        context["staff_counts"] = selectors.staff_counts_by_role(organisation)
        context["open_invitations"] = selectors.open_invitations(organisation).count()
    if org.can("supervision.view_own_team"):
        context["team"] = selectors.supervised_peers(organisation, org.user)
    if Role.PEER in org.roles:
        context["my_supervisors"] = selectors.supervisors_of(organisation, org.user)
    return render(request, "web/staff_home.html", context)


# --- Programs --------------------------------------------------------------------------------


@org_view("programs.view")
@require_GET
def program_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    programs = selectors.programs_for(org.organisation, include_inactive=org.can("programs.change"))
    return render(request, "web/program_list.html", {"org": org, "programs": programs})


@org_view("programs.view")
@require_GET
def program_detail(request: HttpRequest, org: OrgContext, program_id: str) -> HttpResponse:
    program = access.access_program(org, program_id)
    return render(request, "web/program_detail.html", {"org": org, "program": program, "sites": program.sites.all()})


@org_view("programs.change")
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, org: OrgContext, program_id: str | None = None) -> HttpResponse:
    program = access.access_program(org, program_id, write=True) if program_id else None
    form = ProgramForm(
        request.POST if request.method == "POST" else None, instance=program, organisation=org.organisation
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "sites"}
        sites = list(form.cleaned_data["sites"])
        try:
            if program is None:
                program = services.program_create(
                    acting_user=org.user, organisation=org.organisation, sites=sites, **data
                )
                messages.success(request, _("Program added."))
            else:
                services.program_update(acting_user=org.user, program=program, sites=sites, **data)
                messages.success(request, _("Program saved."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("web:program_detail", org.organisation.slug, program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/program_form.html", {"org": org, "form": form, "program": program}, status=status)


# --- Sites -----------------------------------------------------------------------------------


@org_view("sites.view")
@require_GET
def site_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    sites = selectors.sites_for(org.organisation, include_inactive=org.can("sites.change"))
    return render(request, "web/site_list.html", {"org": org, "sites": sites})


@org_view("sites.change")
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, org: OrgContext, site_id: str | None = None) -> HttpResponse:
    site = access.access_site(org, site_id, write=True) if site_id else None
    form = SiteForm(request.POST if request.method == "POST" else None, instance=site, organisation=org.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            if site is None:
                services.site_create(acting_user=org.user, organisation=org.organisation, **form.cleaned_data)
                messages.success(request, _("Site added."))
            else:
                services.site_update(acting_user=org.user, site=site, **form.cleaned_data)
                messages.success(request, _("Site saved."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("web:site_list", org.organisation.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/site_form.html", {"org": org, "form": form, "site": site}, status=status)


# --- Staff -----------------------------------------------------------------------------------


@org_view("staff.view")
@require_GET
def staff_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _staff_list(request, org, InviteForm(), status=200)


def _staff_list(request: HttpRequest, org: OrgContext, invite_form: InviteForm, *, status: int) -> HttpResponse:
    page, staff = selectors.staff_page(org.organisation, page=request.GET.get("page"))
    context = {
        "org": org,
        "staff": staff,
        "page": page,
        "invitations": selectors.open_invitations(org.organisation) if org.can("staff.invite") else [],
        "invite_form": invite_form,
    }
    return render(request, "web/staff_list.html", context, status=status)


@org_view("staff.view")
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, org: OrgContext, user_id: str) -> HttpResponse:
    member = access.access_staff_member(org, user_id, write=request.method == "POST")
    if request.method == "POST" and not access.has_recent_auth(request):
        messages.info(request, _("Please confirm your password, then save the roles again."))
        return redirect(reverse("accounts:confirm_password") + "?next=" + request.path)
    form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": member.roles})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_roles(
                acting_user=org.user,
                organisation=org.organisation,
                user=member.user,
                roles=set(form.cleaned_data["roles"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Roles saved."))
            return redirect("web:staff_list", org.organisation.slug)
    context = {
        "org": org,
        "member": member,
        "form": form,
        "supervisors": selectors.supervisors_of(org.organisation, member.user),
        "supervisees": selectors.supervised_peers(org.organisation, member.user),
        "supervisor_choices": selectors.supervisors_in(org.organisation, exclude=member.user)
        if org.can("supervision.change") and Role.PEER in member.roles
        else [],
    }
    return render(request, "web/staff_detail.html", context, status=400 if request.method == "POST" else 200)


@org_view("supervision.change")
@require_POST
def supervision_add(request: HttpRequest, org: OrgContext, user_id: str) -> HttpResponse:
    member = access.access_staff_member(org, user_id, write=True)
    supervisor_member = access.access_staff_member(org, request.POST.get("supervisor", ""), write=True)
    try:
        services.supervision_link_create(
            acting_user=org.user, organisation=org.organisation, supervisor=supervisor_member.user, peer=member.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Supervisor added."))
    return redirect("web:staff_detail", org.organisation.slug, member.user.pk)


@org_view("staff.invite")
@require_POST
def staff_invite(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(acting_user=org.user, organisation=org.organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("web:staff_list", org.organisation.slug)
    return _staff_list(request, org, form, status=400)


@org_view("staff.invite")
@require_POST
def invitation_revoke(request: HttpRequest, org: OrgContext, invitation_id: str) -> HttpResponse:
    invitation = access.access_invitation(org, invitation_id)
    services.invitation_revoke(acting_user=org.user, invitation=invitation)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("web:staff_list", org.organisation.slug)


# --- Settings and access log -----------------------------------------------------------------


@org_view("organisation.change_settings")
@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, org: OrgContext) -> HttpResponse:
    organisation = access.access_organisation_settings(org)
    form = OrganisationSettingsForm(
        request.POST if request.method == "POST" else None, initial=OrganisationSettingsForm.initial_for(organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update_settings(acting_user=org.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("web:org_settings", organisation.slug)
    return render(
        request, "web/org_settings.html", {"org": org, "form": form}, status=400 if request.method == "POST" else 200
    )


@org_view("audit.view")
@require_GET
def audit_log(request: HttpRequest, org: OrgContext) -> HttpResponse:
    object_id = request.GET.get("object", "").strip()
    if object_id:
        try:
            object_id = str(uuid.UUID(object_id))
        except ValueError:
            messages.error(request, _("Enter a record identifier like 3f2a…-…, as shown on the record."))
            object_id = ""
    action = request.GET.get("action", "").strip()[:64]
    events = events_for_organisation(org.organisation, object_id=object_id, action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    actors = selectors.users_by_id({e.actor_id for e in page.object_list if e.actor_id})
    # Reading the access log is itself a sensitive read.
    record(org.user, "audit.view_log", org.organisation, object_type="audit.auditevent", object_id=object_id or None)
    rows = [{"event": e, "actor": actors.get(e.actor_id) if e.actor_id else None} for e in page.object_list]
    return render(
        request,
        "web/audit_log.html",
        {"org": org, "page": page, "rows": rows, "object_id": object_id, "action": action},
    )


# --- Network ---------------------------------------------------------------------------------


@network_view("network.view_aggregate")
@require_GET
def network_home(request: HttpRequest, network: access.NetworkContext) -> HttpResponse:
    rows = selectors.network_aggregates(network.network)
    return render(request, "web/network_home.html", {"network": network.network, "rows": rows})
