"""The public "reach out" form: a first name and one way to reach the person."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from alongside.accounts import selectors as account_selectors
from alongside.accounts.models import Organisation
from alongside.core.forms import add_service_errors
from alongside.core.middleware import client_ip
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.people import services
from alongside.people.forms.public import SelfReferralForm

# Submissions per client address per organisation in one window: enough for a family sharing a
# connection, too few for a script. Counted in Django's cache (no third-party service).
RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 60 * 60
# Set for one page view when screening found signs of crisis in the message just sent.
URGENT_SESSION_KEY = "people:reach_out_urgent"


def _public_org(request: HttpRequest, org_slug: str) -> Organisation:
    organisation = account_selectors.organisation_by_slug(org_slug)  # active organisations only
    if organisation is None:
        raise Http404
    # base_public.html shows this organisation's crisis options and quick exit.
    request.public_org = organisation  # type: ignore[attr-defined]
    return organisation


def _rate_key(request: HttpRequest, organisation: Organisation) -> str:
    return f"people:self-referral:{organisation.pk}:{client_ip(request) or 'unknown'}"


def _over_limit(key: str) -> bool:
    return int(cache.get(key, 0)) >= RATE_LIMIT


def _count(key: str) -> None:
    if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS)


@public
@require_http_methods(["GET", "POST"])
def self_referral(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = _public_org(request, org_slug)
    context = {"organisation": organisation}
    if request.method == "POST":
        key = _rate_key(request, organisation)
        if _over_limit(key):
            return render(request, "people/public/too_many.html", context, status=429)
        form = SelfReferralForm(request.POST)
        if form.is_bot:
            # Pretend it worked, write nothing: a bot learns nothing from the answer.
            _count(key)
            return redirect("people:self_referral_thanks", organisation.slug)
        if form.is_valid():
            try:
                with tenant_scope(organisation):
                    participant = services.self_referral_submit(organisation=organisation, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _count(key)
                if participant.screening_tier == "urgent":
                    # The thanks page shows the crisis options first, once (no words of theirs kept here).
                    request.session[URGENT_SESSION_KEY] = str(organisation.pk)
                return redirect("people:self_referral_thanks", organisation.slug)
        return render(request, "people/public/self_referral.html", {**context, "form": form}, status=400)
    form = SelfReferralForm()
    return render(request, "people/public/self_referral.html", {**context, "form": form})


@public
@require_GET
def self_referral_thanks(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = _public_org(request, org_slug)
    urgent = request.session.pop(URGENT_SESSION_KEY, None) == str(organisation.pk)
    return render(request, "people/public/thanks.html", {"organisation": organisation, "urgent": urgent})
