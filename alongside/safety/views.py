"""Safety-concern pages: raise one, the escalation page (crisis options first, the checklist, the
outcome, follow-ups, who was told, history), the list, and the admin's checklist editor. Thin:
reads through ``selectors``/``access``, writes and access-log rows through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.people.access import visible_participants
from alongside.safety import selectors, services
from alongside.safety.access import access_escalation, access_followup
from alongside.safety.forms import ChecklistForm, FollowUpForm, OutcomeForm, RaiseForm, StepForm
from alongside.safety.models import Escalation, EscalationChecklist


def _to_page(org: OrgContext, escalation: Escalation) -> HttpResponse:
    return redirect("safety:escalation", org.organisation.slug, escalation.pk)


@org_view("safety.raise")
@require_http_methods(["GET", "POST"])
def escalation_raise(request: HttpRequest, org: OrgContext) -> HttpResponse:
    participants = visible_participants(org)
    if request.method != "POST":
        initial: dict[str, Any] = {}
        wanted = request.GET.get("participant", "")
        if _is_uuid(wanted) and participants.filter(pk=wanted).exists():
            initial["participant"] = wanted
        form = RaiseForm(participants=participants, initial=initial)
        return render(request, "safety/raise.html", {"org": org, "form": form, "own": selectors.own_open(org)})
    form = RaiseForm(request.POST, participants=participants)
    if form.is_valid():
        try:
            escalation = services.escalation_raise(
                acting_user=org.user,
                organisation=org.organisation,
                source="other",
                summary=form.cleaned_data["summary"],
                participant=form.cleaned_data["participant"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you for raising this. The steps below will guide you."))
            return _to_page(org, escalation)
    context = {"org": org, "form": form, "own": selectors.own_open(org)}
    return render(request, "safety/raise.html", context, status=400)


def _is_uuid(value: str) -> bool:
    from uuid import UUID

    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _detail(
    request: HttpRequest,
    org: OrgContext,
    escalation: Escalation,
    *,
    outcome_form: OutcomeForm | None = None,
    followup_form: FollowUpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    services.escalation_viewed(acting_user=org.user, escalation=escalation)
    followups = list(escalation.followups.select_related("assigned_to", "done_by"))
    now = timezone.now()
    context = {
        "org": org,
        "escalation": escalation,
        "steps": selectors.steps_for_page(escalation),
        "followups": followups,
        "overdue": {f.pk for f in followups if f.is_overdue(now)},
        "alerts": list(escalation.alerts.select_related("user")),
        "history": selectors.history(escalation),
        "can_work": selectors.can_work_on(org, escalation),
        "can_manage": selectors.can_manage(org, escalation),
        "outcome_form": outcome_form
        or OutcomeForm(initial={"outcome": escalation.outcome, "notes": escalation.outcome_notes}),
        "followup_form": followup_form or FollowUpForm(),
    }
    return render(request, "safety/escalation.html", context, status=status)


@org_view("safety.raise")
@require_GET
def escalation_detail(request: HttpRequest, org: OrgContext, escalation_id: str) -> HttpResponse:
    return _detail(request, org, access_escalation(org, escalation_id))


@org_view("safety.raise")
@require_POST
def escalation_step(request: HttpRequest, org: OrgContext, escalation_id: str) -> HttpResponse:
    escalation = access_escalation(org, escalation_id, write=True)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the steps of this checklist."))
        return _to_page(org, escalation)
    try:
        services.checklist_step_done(
            acting_user=org.user, escalation=escalation, index=form.cleaned_data["step"], done=form.cleaned_data["done"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _to_page(org, escalation)


@org_view("safety.raise")
@require_POST
def escalation_outcome(request: HttpRequest, org: OrgContext, escalation_id: str) -> HttpResponse:
    escalation = access_escalation(org, escalation_id, write=True)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_record_outcome(
                acting_user=org.user,
                escalation=escalation,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("What happened next is recorded."))
            return _to_page(org, escalation)
    return _detail(request, org, escalation, outcome_form=form, status=400)


@org_view("safety.manage")
@require_POST
def escalation_close(request: HttpRequest, org: OrgContext, escalation_id: str) -> HttpResponse:
    escalation = access_escalation(org, escalation_id, manage=True)
    try:
        services.escalation_close(acting_user=org.user, escalation=escalation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("This concern is closed."))
    return _to_page(org, escalation)


@org_view("safety.raise")
@require_POST
def followup_done(request: HttpRequest, org: OrgContext, escalation_id: str, followup_id: str) -> HttpResponse:
    escalation = access_escalation(org, escalation_id)
    followup = access_followup(org, escalation, followup_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.followup_done(acting_user=org.user, followup=followup, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The follow-up is marked done."))
            return _to_page(org, escalation)
    return _detail(request, org, escalation, followup_form=form, status=400)


@org_view("safety.view")
@require_GET
def escalation_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    page = selectors.escalations_page(org, page=request.GET.get("page"))
    return render(request, "safety/list.html", {"org": org, "page": page})


@org_view("safety.checklist")
@require_http_methods(["GET", "POST"])
def checklist_edit(request: HttpRequest, org: OrgContext) -> HttpResponse:
    steps, version = services.current_steps(org.organisation)
    saved = EscalationChecklist.objects.filter(organisation=org.organisation).select_related("updated_by").first()
    if request.method != "POST":
        form = ChecklistForm(initial={"steps": "\n".join(steps)})
        status = 200
    else:
        form = ChecklistForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.checklist_update(
                    acting_user=org.user, organisation=org.organisation, steps=form.cleaned_data["steps"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The checklist is saved. New safety concerns will use it."))
                return redirect("safety:checklist_edit", org.organisation.slug)
    context = {"org": org, "form": form, "version": version, "saved": saved}
    return render(request, "safety/checklist.html", context, status=status)
