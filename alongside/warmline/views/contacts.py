"""Call and chat record pages under ``/app/<org>/warmline/contacts/``: log a call, the
under-a-minute form to finish a record, one record, raising a safety concern from it, the peer's
own past contacts, the supervisor's and coordinator's list, and repeat-caller plans. Thin: reads
and writes through ``alongside.warmline.contacts``. Times are shown and entered in the
organisation's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.people.access import supported_by, visible_participants
from alongside.people.models import Participant
from alongside.warmline import contacts, shifts
from alongside.warmline.forms_contacts import EscalateForm, FinishForm, PlanForm, SearchForm, StartForm
from alongside.warmline.models import (
    CallerPlan,
    Channel,
    ContactState,
    Helped,
    LineContact,
    ResourceGiven,
    WarmlineTopic,
)


@contextmanager
def _local(org: OrgContext) -> Iterator[None]:
    """Forms read and show times in the organisation's zone."""
    with timezone.override(ZoneInfo(org.organisation.timezone)):
        yield


def _now_local() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


def _to_detail(org: OrgContext, contact: LineContact) -> HttpResponse:
    return redirect("warmline:contact_detail", org.organisation.slug, contact.pk)


def _on_shift(user: Any, line: Any, at: Any) -> bool | None:
    """Whether the peer is on a shift of the line (None while the shifts part cannot say)."""
    try:
        return bool(shifts.is_on_shift(user, line, at))
    except NotImplementedError:
        return None


# --- Logging and finishing a contact ---------------------------------------------------------------


@org_view("warmline.answer")
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest, org: OrgContext) -> HttpResponse:
    lines = contacts.lines_for(org.organisation)
    with _local(org):
        if request.method != "POST":
            form = StartForm(lines=lines, initial={"started_at": _now_local(), "channel": Channel.CALL})
            status = 200
        else:
            form = StartForm(request.POST, lines=lines)
            status = 400
            if form.is_valid():
                try:
                    contact = contacts.contact_start(
                        acting_user=org.user,
                        line=form.cleaned_data["line"],
                        channel=form.cleaned_data["channel"],
                        caller_alias=form.cleaned_data["caller_alias"],
                        at=form.cleaned_data["started_at"],
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    if _on_shift(org.user, contact.line, contact.started_at) is False:
                        # Logging is never blocked: a contact off shift still happened.
                        messages.info(request, _("You were not on a shift of this line then; the record is saved."))
                    return redirect("warmline:contact_finish", org.organisation.slug, contact.pk)
        context = {"org": org, "form": form, "drafts": contacts.own_drafts(org), "has_lines": lines.exists()}
        return render(request, "warmline/contacts/new.html", context, status=status)


def _finish_initial(contact: LineContact) -> dict[str, Any]:
    record_row = contact.contact
    return {
        "started_at": contact.started_at,
        "ended_at": contact.ended_at or _now_local(),
        "caller_alias": contact.caller_alias,
        "caller_kind": contact.caller_kind,
        "topics": record_row.topics,
        "mood_start": str(contact.mood_start or ""),
        "mood_end": str(contact.mood_end or ""),
        "helped": contact.helped,
        "resources": contact.resources,
        "resources_other": contact.resources_other,
        "notes": record_row.notes,
        "follow_up_needed": record_row.follow_up_needed,
        "participant": record_row.participant_id,
    }


def _choosable(org: OrgContext, contact: LineContact) -> QuerySet[Participant]:
    """The people the form offers: those this person supports (a short list, never the whole
    organisation), and whoever is linked already."""
    own = supported_by(org.organisation.pk, [org.user.pk])
    if contact.contact.participant_id is not None:
        own |= Q(pk=contact.contact.participant_id)
    return visible_participants(org).filter(own).order_by("preferred_name")


def _plans(org: OrgContext, contact: LineContact) -> list[CallerPlan]:
    plans = contacts.plans_for(
        org.organisation,
        alias=contact.caller_alias,
        participant=contact.contact.participant,
        line=contact.line,
        at=contact.started_at,
    )
    for plan in plans:
        contacts.plan_viewed(acting_user=org.user, plan=plan)
    return plans


@org_view("warmline.answer")
@require_http_methods(["GET", "POST"])
def contact_finish(request: HttpRequest, org: OrgContext, contact_id: Any) -> HttpResponse:
    contact = contacts.access_contact(org, contact_id, write=True)
    with _local(org):
        if request.method != "POST":
            contacts.contact_viewed(acting_user=org.user, contact=contact)
            form = FinishForm(initial=_finish_initial(contact), participants=_choosable(org, contact))
            status = 200
        else:
            form = FinishForm(request.POST, participants=_choosable(org, contact))
            status = 400
            if form.is_valid():
                details = form.details()
                try:
                    if contact.state == ContactState.DRAFT:
                        contacts.contact_complete(
                            acting_user=org.user, contact=contact, ended_at=details.pop("ended_at"), **details
                        )
                    else:
                        contacts.contact_update(acting_user=org.user, contact=contact, **details)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("The record is saved. Thank you."))
                    return _to_detail(org, contact)
        context = {"org": org, "contact": contact, "form": form, "plans": _plans(org, contact)}
        return render(request, "warmline/contacts/finish.html", context, status=status)


@org_view("warmline.answer")
@require_GET
def contact_detail(request: HttpRequest, org: OrgContext, contact_id: Any) -> HttpResponse:
    contact = contacts.access_contact(org, contact_id)
    contacts.contact_viewed(acting_user=org.user, contact=contact)
    context = {
        "org": org,
        "contact": contact,
        "record": contact.contact,
        "zone": org.organisation.timezone,
        "can_write": contact.contact.peer_id == org.user.pk or org.can("warmline.supervise"),
        "plans": _plans(org, contact),
        "topic_labels": _labels(WarmlineTopic, contact.contact.topics),
        "helped_labels": _labels(Helped, contact.helped),
        "resource_labels": _labels(ResourceGiven, contact.resources),
    }
    with _local(org):
        return render(request, "warmline/contacts/detail.html", context)


def _labels(choices: Any, codes: list[str]) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(code, code)) for code in codes]


@org_view("warmline.answer")
@require_http_methods(["GET", "POST"])
def contact_safety(request: HttpRequest, org: OrgContext, contact_id: Any) -> HttpResponse:
    """Raise a safety concern about this call or chat: the safety protocol, with the contact linked."""
    contact = contacts.access_contact(org, contact_id, write=True)
    form = EscalateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            escalation = contacts.contact_escalate(
                acting_user=org.user, contact=contact, summary=form.cleaned_data["summary"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you for raising this. The steps below will guide you."))
            return redirect("safety:escalation", org.organisation.slug, escalation.pk)
    context = {"org": org, "contact": contact, "form": form}
    return render(request, "warmline/contacts/safety.html", context, status=400 if request.method == "POST" else 200)


# --- Lists --------------------------------------------------------------------------------------


def _filters(form: SearchForm) -> contacts.ContactFilters:
    if not form.is_valid():
        return contacts.ContactFilters()
    data = form.cleaned_data
    return contacts.ContactFilters(alias=data["alias"], day=data["day"], line=data["line"])


def _list_page(request: HttpRequest, org: OrgContext, *, own: bool) -> HttpResponse:
    lines = contacts.lines_for(org.organisation)
    form = SearchForm(request.GET or None, lines=lines)
    filters = _filters(form)
    page_number = request.GET.get("page")
    if own:
        page = contacts.own_contacts_page(org, filters, page=page_number)
    else:
        page = contacts.contacts_page(org, filters, page=page_number)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org,
        "form": form,
        "page": page,
        "own": own,
        "query": query.urlencode(),
        "drafts": contacts.own_drafts(org) if own else [],
    }
    status = 400 if form.is_bound and form.errors else 200
    with _local(org):
        return render(request, "warmline/contacts/list.html", context, status=status)


@org_view("warmline.answer")
@require_GET
def contacts_mine(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _list_page(request, org, own=True)


@org_view("warmline.contacts_view")
@require_GET
def contact_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _list_page(request, org, own=False)


# --- Repeat-caller plans ------------------------------------------------------------------------


@org_view("warmline.caller_plans")
@require_GET
def plan_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    page = contacts.plans_page(org, page=request.GET.get("page"))
    return render(request, "warmline/contacts/plans.html", {"org": org, "page": page})


@org_view("warmline.caller_plans")
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, org: OrgContext) -> HttpResponse:
    lines = contacts.lines_for(org.organisation)
    today = contacts.local_today(org.organisation)
    if request.method != "POST":
        form = PlanForm(lines=lines, initial={"starts_on": today})
        return render(request, "warmline/contacts/plan_form.html", {"org": org, "form": form})
    form = PlanForm(request.POST, lines=lines)
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = contacts.plan_create(
                acting_user=org.user,
                organisation=org.organisation,
                line=data["line"],
                caller_alias=data["caller_alias"],
                max_contacts=data["max_contacts"],
                period=data["period"],
                max_minutes=data["max_minutes"],
                notes=data["notes"],
                starts_on=data["starts_on"],
                expires_on=data["expires_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The plan is saved. Peers will see it when this person is in touch."))
            return redirect("warmline:caller_plan_detail", org.organisation.slug, plan.pk)
    return render(request, "warmline/contacts/plan_form.html", {"org": org, "form": form}, status=400)


@org_view("warmline.caller_plans")
@require_GET
def plan_detail(request: HttpRequest, org: OrgContext, plan_id: Any) -> HttpResponse:
    plan = contacts.access_plan(org, plan_id)
    contacts.plan_viewed(acting_user=org.user, plan=plan)
    today = contacts.local_today(org.organisation)
    in_force = plan.ended_at is None and plan.starts_on <= today <= plan.expires_on
    return render(request, "warmline/contacts/plan.html", {"org": org, "plan": plan, "in_force": in_force})


@org_view("warmline.caller_plans")
@require_POST
def plan_end(request: HttpRequest, org: OrgContext, plan_id: Any) -> HttpResponse:
    plan = contacts.access_plan(org, plan_id)
    contacts.plan_end(acting_user=org.user, plan=plan)
    messages.success(request, _("The plan has ended."))
    return redirect("warmline:caller_plan_detail", org.organisation.slug, plan.pk)
