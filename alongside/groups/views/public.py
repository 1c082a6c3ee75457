"""Public group pages: the group's page in the directory (with the register or waitlist form), the
registrant's own page (their place, how to join, cancel) and the anonymous feedback form.

Only P1 facts of a public, active or paused group appear on the group page; the online link only
when the group is drop-in and ``join_details_public``. Registering is rate-limited per address.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods

from alongside.accounts import selectors as account_selectors
from alongside.accounts.models import Organisation
from alongside.core.forms import add_service_errors
from alongside.core.middleware import client_ip
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.groups import registration as reg
from alongside.groups import running
from alongside.groups import services as group_services
from alongside.groups.forms_public import FeedbackForm, RegisterForm
from alongside.groups.models import Group, GroupStatus, RegistrationStatus
from alongside.groups.schedules import Occurrence, occurrences
from alongside.groups.vocab import Accessibility, Community, GroupFormat, Joining, Topic
from alongside.people.views.self_service import no_store

RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 60 * 60
FEEDBACK_RATE_LIMIT = 30
SESSIONS_SHOWN = 6
FEEDBACK_COOKIE = "alongside_fb"


# --- Shared --------------------------------------------------------------------------------------


def _public_org(request: HttpRequest, org_slug: str) -> Organisation:
    organisation = account_selectors.organisation_by_slug(org_slug)  # active organisations only
    if organisation is None:
        raise Http404
    request.public_org = organisation  # type: ignore[attr-defined]
    return organisation


def _public_group(organisation: Organisation, group_slug: str) -> Group:
    group = (
        Group.objects.filter(
            organisation=organisation,
            slug=group_slug,
            is_public=True,
            status__in=[GroupStatus.ACTIVE, GroupStatus.PAUSED],
        )
        .select_related("site", "facilitator", "organisation")
        .first()
    )
    if group is None:
        raise Http404
    return group


def _over_limit(key: str, limit: int) -> bool:
    return int(cache.get(key, 0)) >= limit


def _count(key: str) -> None:
    if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS)


def _labels(codes: list[str], choices: Any) -> list[str]:
    names = dict(choices.choices)
    return [str(names[c]) for c in codes if c in names]


def first_name(user: Any) -> str:
    if user is None:
        return ""
    name = (user.preferred_name or user.full_name or "").strip()
    return name.split(" ")[0] if name else ""


def language_name(code: str) -> str:
    """The language's name in the reader's language ("Spanish", "español"), else the code."""
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def join_details_public(group: Group) -> bool:
    return group.joining == Joining.DROP_IN and group.join_details_public


# --- JSON-LD -------------------------------------------------------------------------------------

_DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_MODE: dict[str, str] = {
    GroupFormat.IN_PERSON: "OfflineEventAttendanceMode",
    GroupFormat.ONLINE: "OnlineEventAttendanceMode",
    GroupFormat.PHONE: "OnlineEventAttendanceMode",
    GroupFormat.HYBRID: "MixedEventAttendanceMode",
}


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """JSON for a ``<script type="application/ld+json">``: <, > and & escaped so no text in it can
    end the element or start markup."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - escaped above


def group_json_ld(request: HttpRequest, group: Group, upcoming: list[Occurrence]) -> dict[str, Any]:
    schedules = []
    for schedule in group.schedules.all():
        parts = dict(item.partition("=")[::2] for item in schedule.rrule.split(";"))
        interval = int(parts.get("INTERVAL", "1"))
        days = [d[-2:] for d in parts.get("BYDAY", "").split(",") if d]
        end = (
            (datetime.combine(schedule.start_date, schedule.start_time) + timedelta(minutes=schedule.duration_minutes))
            .time()
            .strftime("%H:%M")
        )
        item: dict[str, Any] = {
            "@type": "Schedule",
            "repeatFrequency": f"P{interval}W" if parts.get("FREQ") == "WEEKLY" else f"P{interval}M",
            "byDay": [f"https://schema.org/{_DAYS[d]}" for d in days if d in _DAYS],
            "startDate": schedule.start_date.isoformat(),
            "startTime": schedule.start_time.strftime("%H:%M"),
            "endTime": end,
            "scheduleTimezone": group.timezone,
        }
        if schedule.until:
            item["endDate"] = schedule.until.isoformat()
        schedules.append(item)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "EventSeries",
        "name": group.name,
        "description": group.description,
        "url": request.build_absolute_uri(),
        "inLanguage": group.language,
        "isAccessibleForFree": group.is_free,
        "eventAttendanceMode": f"https://schema.org/{_MODE.get(group.format, 'OfflineEventAttendanceMode')}",
        "eventStatus": "https://schema.org/EventScheduled"
        if group.status == GroupStatus.ACTIVE
        else "https://schema.org/EventPostponed",
        "organizer": {"@type": "Organization", "name": group.organisation.name},
        "eventSchedule": schedules,
        "subEvent": [
            {
                "@type": "Event",
                "name": group.name,
                "startDate": o.starts_at.isoformat(),
                "endDate": o.ends_at.isoformat(),
                "eventStatus": "https://schema.org/EventCancelled"
                if o.cancelled
                else "https://schema.org/EventScheduled",
            }
            for o in upcoming
        ],
    }
    site = group.site
    if site is not None and group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID):
        data["location"] = {
            "@type": "Place",
            "name": site.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": " ".join(p for p in (site.address_line1, site.address_line2) if p),
                "addressLocality": site.city,
                "addressRegion": site.region,
                "postalCode": site.postcode,
                "addressCountry": site.country,
            },
        }
    elif group.format in (GroupFormat.ONLINE, GroupFormat.PHONE):
        location: dict[str, Any] = {"@type": "VirtualLocation"}
        if join_details_public(group) and group.online_url:
            location["url"] = group.online_url
        data["location"] = location
    return data


# --- The group page ------------------------------------------------------------------------------


def _group_page(
    request: HttpRequest, organisation: Organisation, group: Group, *, form: RegisterForm | None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    upcoming = [o for o in occurrences(group, now - timedelta(hours=3), now + timedelta(days=92)) if o.ends_at > now]
    upcoming = upcoming[:SESSIONS_SHOWN]
    agreement = group_services.current_agreement(group)
    left = reg.places_left(group) if reg.needs_registration(group) else None
    can_register = reg.needs_registration(group) and group.is_open and group.status == GroupStatus.ACTIVE
    if can_register and form is None:
        form = RegisterForm(group=group, has_agreement=agreement is not None)
    context = {
        "organisation": organisation,
        "group": group,
        "site": group.site if group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID) else None,
        "online": group.format in (GroupFormat.ONLINE, GroupFormat.HYBRID, GroupFormat.PHONE),
        "join_public": join_details_public(group),
        "language": language_name(group.language),
        "topics": _labels(group.topics, Topic),
        "communities": _labels(group.communities, Community),
        "accessibility": _labels(group.accessibility, Accessibility),
        "upcoming": upcoming,
        "facilitator": first_name(group.facilitator),
        "places_left": left,
        "full": left == 0,
        "agreement": agreement,
        "can_register": can_register,
        "form": form if can_register else None,
        "json_ld": json_ld_script(group_json_ld(request, group, upcoming)),
    }
    return render(request, "groups/public/group.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
def public_group(request: HttpRequest, org_slug: str, group_slug: str) -> HttpResponse:
    organisation = _public_org(request, org_slug)
    with tenant_scope(organisation):
        group = _public_group(organisation, group_slug)
        if request.method != "POST":
            return _group_page(request, organisation, group, form=None)
        if not (reg.needs_registration(group) and group.is_open and group.status == GroupStatus.ACTIVE):
            return _group_page(request, organisation, group, form=None, status=400)
        key = f"groups:register:{organisation.pk}:{client_ip(request) or 'unknown'}"
        if _over_limit(key, RATE_LIMIT):
            return render(request, "groups/public/too_many.html", {"organisation": organisation}, status=429)
        agreement = group_services.current_agreement(group)
        form = RegisterForm(request.POST, group=group, has_agreement=agreement is not None)
        if form.is_bot:
            _count(key)
            return render(request, "groups/public/thanks.html", {"group": group, "result": None})
        if form.is_valid():
            try:
                result = reg.register_public(group=group, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _count(key)
                if result.duplicate:
                    response = render(request, "groups/public/thanks.html", {"group": group, "result": result})
                    response["Cache-Control"] = "no-store, private"
                    return response
                # Post/redirect/get: the person lands on their own page, whose address is their link.
                own = reverse("groups:registration_own", args=[organisation.slug, group.slug, result.token])
                return redirect(own + "?new=1")
        return _group_page(request, organisation, group, form=form, status=400)


# --- The registrant's own page -------------------------------------------------------------------


@public
@no_store
@require_http_methods(["GET", "POST"])
def registration_own(request: HttpRequest, org_slug: str, group_slug: str, token: str) -> HttpResponse:
    organisation = _public_org(request, org_slug)
    with tenant_scope(organisation):
        group = _public_group(organisation, group_slug)
        registration = reg.registration_by_token(group, token)
        if registration is None:
            return render(request, "groups/public/link_not_working.html", {"group": group}, status=404)
        if request.method == "POST":
            if request.POST.get("confirm") == "cancel":
                reg.registration_cancel(acting_user=None, registration=registration)
            return redirect("groups:registration_own", organisation.slug, group.slug, token)
        registered = registration.status == RegistrationStatus.REGISTERED
        now = timezone.now()
        upcoming = [
            o for o in occurrences(group, now - timedelta(hours=3), now + timedelta(days=60)) if o.ends_at > now
        ]
        return render(
            request,
            "groups/public/own.html",
            {
                "organisation": organisation,
                "group": group,
                "registration": registration,
                "registered": registered,
                "position": reg.waitlist_position(registration),
                "show_join": registered and group.format != GroupFormat.IN_PERSON,
                "site": group.site if group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID) else None,
                "upcoming": upcoming[:SESSIONS_SHOWN],
                "confirm_cancel": request.GET.get("cancel") == "1",
                "new": request.GET.get("new") == "1",
            },
        )


# --- Feedback ------------------------------------------------------------------------------------


def _feedback_context(token: str) -> tuple[Organisation, Any] | None:
    found = running.feedback_token_read(token)
    if found is None:
        return None
    organisation = Organisation.objects.filter(pk=found[0], is_active=True).first()
    if organisation is None:
        return None
    return organisation, found[1]


def _already_sent(request: HttpRequest, session_id: str) -> bool:
    sent = request.get_signed_cookie(FEEDBACK_COOKIE, default="", salt=running.FEEDBACK_SALT)
    return session_id in str(sent).split(",")


@public
@no_store
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    found = _feedback_context(token)
    if found is None:
        return render(request, "groups/public/feedback_closed.html", status=404)
    organisation, session_id = found
    request.public_org = organisation  # type: ignore[attr-defined]
    with tenant_scope(organisation):
        session = running.feedback_session(organisation, session_id)
        if session is None:
            return render(request, "groups/public/feedback_closed.html", status=404)
        context: dict[str, Any] = {"organisation": organisation, "group": session.group, "session": session}
        if _already_sent(request, str(session.pk)):
            return render(request, "groups/public/feedback_thanks.html", context)
        if request.method == "POST":
            # Anonymous: the address only counts submissions in the cache, and is never stored.
            key = f"groups:feedback:{session.pk}:{client_ip(request) or 'unknown'}"
            if _over_limit(key, FEEDBACK_RATE_LIMIT):
                return render(request, "groups/public/too_many.html", context, status=429)
            form = FeedbackForm(request.POST)
            if form.is_valid():
                try:
                    sent_feedback = running.feedback_submit(session=session, **form.service_kwargs())
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    _count(key)
                    # Crisis signs in the comment: the crisis options come first on the page.
                    context["urgent"] = sent_feedback.screening_tier == "urgent"
                    response = render(request, "groups/public/feedback_thanks.html", context)
                    previous = request.get_signed_cookie(FEEDBACK_COOKIE, default="", salt=running.FEEDBACK_SALT)
                    sent = [s for s in str(previous).split(",") if s][-20:] + [str(session.pk)]
                    response.set_signed_cookie(
                        FEEDBACK_COOKIE,
                        ",".join(sent),
                        salt=running.FEEDBACK_SALT,
                        max_age=60 * 60 * 24 * 30,
                        httponly=True,
                        samesite="Lax",
                        secure=request.is_secure(),
                    )
                    return response
            return render(request, "groups/public/feedback.html", {**context, "form": form}, status=400)
        return render(request, "groups/public/feedback.html", {**context, "form": FeedbackForm()})
