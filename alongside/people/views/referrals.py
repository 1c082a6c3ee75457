"""Care-team referral pages (DOMAIN.md §3): partners, the referral form, the referral board with its
clocks, one referral with its steps, and the referrer's own view.

Reads go through the selectors and access functions in ``people/referrals.py`` (a referral outside
what this person may see answers like a missing one) and every write through its services. The
referrer sees a referral's status only while the person's consent to share with them stands.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.people import referrals, selectors, services
from alongside.people.access import access_participant, visible_participants
from alongside.people.forms.referrals import BoardFilterForm, PartnerForm, ReferralForm
from alongside.people.models import Participant, Referral, ReferralStatus

PAGE_SIZE = 25
SEARCH_LIMIT = 20

# The button for each step a referral may move to (referrals.ALLOWED_TRANSITIONS decides which show).
STEP_LABELS: dict[str, Any] = {
    ReferralStatus.CONTACT_ATTEMPTED: gettext_lazy("Record a contact attempt"),
    ReferralStatus.ENGAGED: gettext_lazy("They are engaged with us"),
    ReferralStatus.HANDED_BACK: gettext_lazy("Hand back to the care team"),
    ReferralStatus.DECLINED: gettext_lazy("They declined"),
    ReferralStatus.UNREACHABLE: gettext_lazy("We could not reach them"),
}
CLOCK_LABELS = {
    referrals.CLOCK_FIRST_ATTEMPT: gettext_lazy("First contact attempt"),
    referrals.CLOCK_FOLLOW_UP_7: gettext_lazy("Contact within 7 days of discharge"),
    referrals.CLOCK_FOLLOW_UP_30: gettext_lazy("Contact within 30 days of discharge"),
}


# --- How clocks are said -------------------------------------------------------------------------


def _late(delta: timedelta, now: datetime) -> str:
    return timesince(now - delta, now, depth=1)


def clock_text(clock: referrals.Clock, now: datetime) -> dict[str, Any]:
    """A clock in calm words: what is due and by when, whether it was met, how late it is."""
    is_time = isinstance(clock.due, datetime)
    if clock.state == referrals.CLOCK_MET:
        state = _("Met")
    elif clock.state == referrals.CLOCK_MET_LATE:
        state = _("Met, after the 48 hours")
    elif clock.state == referrals.CLOCK_OVERDUE:
        assert clock.late_by is not None
        state = _("Overdue by %(late)s") % {"late": _late(clock.late_by, now)}
    elif clock.state == referrals.CLOCK_NOT_MET:
        state = _("Not met")
    elif clock.state == referrals.CLOCK_STOPPED:
        state = _("Closed before it was due")
    elif is_time:
        assert isinstance(clock.due, datetime)
        state = _("Due in %(left)s") % {"left": timesince(now, clock.due, depth=1)} if clock.due > now else _("Due now")
    else:
        state = _("Open")
    return {
        "name": clock.name,
        "label": CLOCK_LABELS[clock.name],
        "due": clock.due,
        "is_time": is_time,
        "state": clock.state,
        "state_text": state,
        "overdue": clock.is_overdue,
        "met": clock.state in (referrals.CLOCK_MET, referrals.CLOCK_MET_LATE),
    }


def _clocks(clocks: list[referrals.Clock], now: datetime) -> dict[str, dict[str, Any]]:
    return {clock.name: clock_text(clock, now) for clock in clocks}


# --- Partners ------------------------------------------------------------------------------------


@org_view("partners.view")
@require_GET
def partner_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    partners = list(referrals.partner_list(org.organisation))
    context = {"org": org, "partners": partners, "can_change": org.can("partners.change")}
    return render(request, "people/referrals/partner_list.html", context)


def _partner_form_page(
    request: HttpRequest, org: OrgContext, form: PartnerForm, partner: Any, *, status: int
) -> HttpResponse:
    context = {"org": org, "form": form, "partner": partner}
    return render(request, "people/referrals/partner_form.html", context, status=status)


@org_view("partners.change")
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = PartnerForm(
        request.POST if request.method == "POST" else None,
        referrers=referrals.active_referrers(org.organisation),
        initial={"is_active": True, "kind": "hospital"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            partner = referrals.partner_create(
                acting_user=org.user, organisation=org.organisation, **form.partner_fields()
            )
            referrals.partner_set_referrers(
                acting_user=org.user, partner=partner, referrers=form.cleaned_data["referrers"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Partner added: %(name)s.") % {"name": partner.name})
            return redirect("people:partner_list", org.organisation.slug)
    return _partner_form_page(request, org, form, None, status=400 if request.method == "POST" else 200)


@org_view("partners.change")
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, org: OrgContext, partner_id: str) -> HttpResponse:
    partner = referrals.access_partner(org, partner_id, write=True)
    initial = {name: getattr(partner, name) for name in referrals.PARTNER_FIELDS}
    initial["referrers"] = list(partner.referrers.values_list("pk", flat=True))
    form = PartnerForm(
        request.POST if request.method == "POST" else None,
        referrers=referrals.active_referrers(org.organisation),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            partner = referrals.partner_update(acting_user=org.user, partner=partner, **form.partner_fields())
            referrals.partner_set_referrers(
                acting_user=org.user, partner=partner, referrers=form.cleaned_data["referrers"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:partner_list", org.organisation.slug)
    return _partner_form_page(request, org, form, partner, status=400 if request.method == "POST" else 200)


# --- The referral form ---------------------------------------------------------------------------


@org_view("referrals.create")
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """Coordinators and admins refer someone already known (found within their record scope) or
    someone new; a referrer always refers someone new, as themself, for their own partner."""
    staff = org.can("referrals.view")
    person: Participant | None = None
    query = ""
    matches: list[Participant] = []
    if staff:
        chosen = request.POST.get("participant") if request.method == "POST" else request.GET.get("participant")
        if chosen:
            person = access_participant(org, chosen)
        query = request.GET.get("q", "").strip()[:100]
        if query and person is None:
            matches = list(selectors.participant_list(org, query=query)[:SEARCH_LIMIT])
        form = ReferralForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            participant=person,
            participants=visible_participants(org),
            partners=referrals.partner_list(org.organisation, active_only=True),
            referrers=referrals.active_referrers(org.organisation),
            consents=referrals.share_consents(person) if person is not None else None,
        )
        own_partners: list[Any] = []
    else:
        own_partners = list(referrals.partners_of_referrer(org.organisation, org.user))
        form = ReferralForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            participant=None,
            participants=None,
            # One partner is filled in; several are a choice among their own; none, no partner.
            partners=referrals.partners_of_referrer(org.organisation, org.user) if len(own_partners) > 1 else None,
            referrers=None,
            consents=None,
        )
        if len(own_partners) > 1:
            form.fields["partner"].required = True
            form.fields["partner"].error_messages["required"] = _("Choose the partner you are referring for.")
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        if not staff:
            kwargs["referrer"] = org.user
            if len(own_partners) == 1:
                kwargs["partner"] = own_partners[0]
        try:
            referral = referrals.referral_submit(acting_user=org.user, organisation=org.organisation, **kwargs)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Referral received for %(name)s. We aim to make a first contact attempt within 48 hours.")
                % {"name": referral.participant.preferred_name},
            )
            if staff:
                return redirect("people:referral_detail", org.organisation.slug, referral.pk)
            return redirect("people:my_referral_detail", org.organisation.slug, referral.pk)
    context = {
        "org": org,
        "form": form,
        "staff": staff,
        "person": person,
        "query": query,
        "matches": matches,
        "own_partners": own_partners,
    }
    return render(
        request, "people/referrals/referral_form.html", context, status=400 if request.method == "POST" else 200
    )


# --- The board -----------------------------------------------------------------------------------


def _rates(rates: referrals.FollowUpRates, start: date, end: date) -> dict[str, Any]:
    """The two follow-up rates with their numerator, denominator and a whole percentage."""
    denominator = rates.seven_day[1]
    items = [
        {
            "label": label,
            "numerator": numerator,
            "percent": round(100 * numerator / denominator) if denominator else None,
        }
        for label, numerator in (
            (_("7-day follow-up rate"), rates.seven_day[0]),
            (_("30-day follow-up rate"), rates.thirty_day[0]),
        )
    ]
    last = min(end - timedelta(days=1), timezone.localdate() - referrals.FOLLOW_UP_30)
    return {"items": items, "denominator": denominator, "start": start, "last": last}


@org_view("referrals.view")
@require_GET
def referral_board(request: HttpRequest, org: OrgContext) -> HttpResponse:
    organisation = org.organisation
    partners = referrals.partner_list(organisation)
    filters = BoardFilterForm(request.GET, partners=partners)
    filters.is_valid()
    for name in list(filters.errors):
        messages.warning(request, _("That filter is not one we know, so it was left out."))
        filters.cleaned_data.pop(name, None)
        break
    data = filters.cleaned_data
    status, urgency = data.get("status") or "", data.get("urgency") or ""
    partner = data.get("partner")
    partner_id = partner.pk if partner is not None else None
    overdue_only = bool(data.get("overdue"))
    period = data.get("period") or 90

    now = timezone.now()
    board = referrals.open_board(organisation, now)
    counts: dict[str, int] = {str(s): 0 for s in referrals.OPEN_STATUSES}
    for item in board:
        counts[item.facts.status] += 1
    overdue_count = sum(item.is_overdue for item in board)
    shown = [
        item
        for item in board
        if (not status or item.facts.status == status)
        and (partner_id is None or item.facts.partner_id == partner_id)
        and (not urgency or item.facts.urgency == urgency)
        and (not overdue_only or item.is_overdue)
    ]
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    full = referrals.board_referrals(organisation, [item.facts.pk for item in page.object_list])
    rows = [{"referral": full[item.facts.pk], "clocks": _clocks(item.clocks, now)} for item in page.object_list]
    start, end = referrals.follow_up_period(period)
    rates = referrals.follow_up_rates(organisation, start=start, end=end)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org,
        "filters": filters,
        "page": page,
        "rows": rows,
        "counts": [(s, ReferralStatus(s).label, n) for s, n in counts.items()],
        "status": status,
        "overdue_only": overdue_only,
        "overdue_count": overdue_count,
        "rates": _rates(rates, start, end),
        "period": period,
        "querystring": query.urlencode(),
        "can_create": org.can("referrals.create"),
        "can_see_partners": org.can("partners.view"),
    }
    return render(request, "people/referrals/board.html", context)


# --- One referral --------------------------------------------------------------------------------


@org_view("referrals.view")
@require_GET
def referral_detail(request: HttpRequest, org: OrgContext, referral_id: str) -> HttpResponse:
    referral = referrals.access_referral(org, referral_id)
    referrals.referral_viewed(acting_user=org.user, referral=referral)
    now = timezone.now()
    participant = referral.participant
    order = [str(s) for s in STEP_LABELS]
    steps = sorted((str(s) for s in referrals.ALLOWED_TRANSITIONS.get(referral.status, frozenset())), key=order.index)
    documents = []
    if referral.consent is not None:
        from alongside.people import documents as documents_module

        documents = list(documents_module.consent_documents(participant).filter(consent=referral.consent))
    context = {
        "org": org,
        "referral": referral,
        "participant": participant,
        "clocks": list(_clocks(referrals.referral_clocks(referral, now), now).values()),
        "events": referrals.referral_events(referral),
        "steps": [(s, STEP_LABELS[s]) for s in steps] if org.can("referrals.change") else [],
        "recipient": referrals.referrer_recipient(referral),
        "shared_with_referrer": referrals.referrer_may_see_status(referral),
        "documents": documents,
        "redisclosure_notice": services.redisclosure_notice(participant),
        "can_open_record": participant.merged_into_id is None
        and visible_participants(org).filter(pk=participant.pk).exists(),
        "can_log_contact": org.can("contacts.log"),
    }
    return render(request, "people/referrals/referral_detail.html", context)


@org_view("referrals.change")
@require_POST
def referral_step(request: HttpRequest, org: OrgContext, referral_id: str) -> HttpResponse:
    referral = referrals.access_referral(org, referral_id)
    status = request.POST.get("status", "")
    try:
        referral = referrals.referral_advance(acting_user=org.user, referral=referral, status=status)
    except ValidationError:
        if status in ReferralStatus.values:
            error = _(
                "This referral is at “%(current)s” now, so it cannot move to “%(new)s”. Someone may have "
                "changed it meanwhile. Nothing was changed."
            ) % {"current": referral.get_status_display(), "new": ReferralStatus(status).label}
        else:
            error = _("Choose one of the steps shown on the referral. Nothing was changed.")
        context = {"org": org, "referral": referral, "error": error}
        return render(request, "people/referrals/step_failed.html", context, status=400)
    messages.success(request, _("Saved: %(step)s.") % {"step": referral.get_status_display()})
    return redirect("people:referral_detail", org.organisation.slug, referral.pk)


# --- The referrer's own view ---------------------------------------------------------------------


@org_view("referrals.view_own")
@require_GET
def my_referrals(request: HttpRequest, org: OrgContext) -> HttpResponse:
    page = Paginator(referrals.my_referrals(org.organisation, org.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items: list[Referral] = list(page.object_list)
    visible = referrals.referrer_visibility(items)
    rows = [{"referral": r, "visible": visible[r.pk]} for r in items]
    context = {"org": org, "page": page, "rows": rows, "can_create": org.can("referrals.create")}
    return render(request, "people/referrals/my_referrals.html", context)


@org_view("referrals.view_own")
@require_GET
def my_referral_detail(request: HttpRequest, org: OrgContext, referral_id: str) -> HttpResponse:
    referral = referrals.access_own_referral(org, referral_id)
    if referral.referrer_id != org.user.pk:  # access_own_referral already filters; kept as a guard
        raise PermissionDenied
    referrals.referral_viewed(acting_user=org.user, referral=referral)
    visible = referrals.referrer_may_see_status(referral)
    context: dict[str, Any] = {
        "org": org,
        "referral": referral,
        "participant": referral.participant,
        "visible": visible,
        "events": referrals.referral_events(referral) if visible else [],
        # Status of Part 2 records is a disclosure: it carries the notice against redisclosure.
        "redisclosure_notice": services.redisclosure_notice(referral.participant) if visible else "",
    }
    return render(request, "people/referrals/my_referral_detail.html", context)
