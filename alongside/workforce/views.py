"""Wellbeing pages: the staff member's own "How are you doing?" with their check-ins, and the
supervisor's view of the capacity their team chose to share. Thin: reads through
``workforce.selectors``, writes and access-log rows through ``workforce.services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.workforce import selectors, services
from alongside.workforce.access import access_own_checkin
from alongside.workforce.forms import CheckInForm


def _wellbeing_page(request: HttpRequest, org: OrgContext, form: CheckInForm, *, status: int = 200) -> HttpResponse:
    page = selectors.own_history(org.organisation, org.user, page=request.GET.get("page"))
    if page.object_list:
        services.checkin_history_viewed(acting_user=org.user, organisation=org.organisation)
    context = {
        "org": org,
        "form": form,
        "page": page,
        "signal_days": selectors.SIGNAL_DAYS,
        "signal_since": selectors.signal_since(),
    }
    return render(request, "workforce/wellbeing.html", context, status=status)


@org_view("wellbeing.checkin")
@require_http_methods(["GET", "POST"])
def wellbeing(request: HttpRequest, org: OrgContext) -> HttpResponse:
    if request.method != "POST":
        return _wellbeing_page(request, org, CheckInForm())
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            checkin = services.checkin_create(acting_user=org.user, organisation=org.organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if checkin.shared:
                thanks = _(
                    "Thank you for checking in. Your supervisor can see how much room you have, and nothing else."
                )
            else:
                thanks = _("Thank you for checking in. Only you can see it.")
            messages.success(request, thanks)
            return redirect("workforce:wellbeing", org.organisation.slug)
    return _wellbeing_page(request, org, form, status=400)


@org_view("wellbeing.checkin")
@require_POST
def checkin_stop_sharing(request: HttpRequest, org: OrgContext, checkin_id: str) -> HttpResponse:
    checkin = access_own_checkin(org, checkin_id)
    services.checkin_stop_sharing(acting_user=org.user, checkin=checkin)
    messages.success(request, _("That check-in is no longer shared. Your supervisor and matching no longer see it."))
    return redirect("workforce:wellbeing", org.organisation.slug)


@org_view("wellbeing.view_team")
@require_GET
def wellbeing_team(request: HttpRequest, org: OrgContext) -> HttpResponse:
    rows = selectors.team_signals(org.organisation, org.user)
    shown = [row.checkin for row in rows if row.checkin is not None]
    if shown:
        services.team_signals_viewed(acting_user=org.user, checkins=shown)
    context = {"org": org, "rows": rows, "signal_days": selectors.SIGNAL_DAYS}
    return render(request, "workforce/team.html", context)
