"""The peer supporter's "requests for you": the people they have been asked to walk alongside,
waiting for their answer. They see the person's first name, what they share (the reasons, said
from the peer's side), when the person is free and how they would like to meet — never the
person's note to the coordinator. They accept, or decline with an optional reason from a list.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.matching import selectors, services
from alongside.matching.forms import DECLINE_CHOICES, DeclineForm
from alongside.people.forms.records import MODALITY_CHOICES
from alongside.web.forms import LANGUAGE_CHOICES


def _rows(org: OrgContext) -> list[dict[str, Any]]:
    # The note (P3, for coordinators) and the record's own notes are never read here.
    matches = list(selectors.peer_pending(org.organisation, org.user).defer("request__note", "participant__notes"))
    words = selectors.labels_for_matches(org.organisation, matches)
    languages, ways = dict(LANGUAGE_CHOICES), dict(MODALITY_CHOICES)
    rows = []
    for match in matches:
        request = match.request
        rows.append(
            {
                "match": match,
                "first_name": selectors.first_name(match.participant.preferred_name),
                "program": match.program.name,
                "explanation": selectors.peer_explanation(selectors.reasons_of(match), words),
                "availability": selectors.availability_words(request.availability),
                "languages": [str(languages.get(code, code)) for code in request.languages or []],
                "ways": [str(ways.get(code, code)) for code in request.modalities or []],
            }
        )
    if rows:
        services.match_pending_viewed(acting_user=org.user, organisation=org.organisation)
    return rows


def _page(request: HttpRequest, org: OrgContext, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"org": org, "rows": _rows(org), "decline_choices": DECLINE_CHOICES, "error": error}
    return render(request, "matching/peer/requests.html", context, status=status)


@org_view("matching.respond")
@require_GET
def peer_requests(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _page(request, org)


@org_view("matching.respond")
@require_POST
def peer_accept(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.pending_for_peer(org, match_id)
    try:
        services.match_accept(acting_user=org.user, match=match)
    except ValidationError as exc:
        return _page(request, org, error=" ".join(exc.messages), status=400)
    messages.success(
        request,
        _("Thank you. You are now %(name)s's peer supporter; they are on your caseload.")
        % {"name": selectors.first_name(match.participant.preferred_name)},
    )
    return redirect("matching:peer_requests", org.organisation.slug)


@org_view("matching.respond")
@require_POST
def peer_decline(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.pending_for_peer(org, match_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _page(request, org, error=_("Choose a reason from the list, or “Rather not say”."), status=400)
    try:
        services.match_decline(acting_user=org.user, match=match, reason=form.service_reason())
    except ValidationError as exc:
        return _page(request, org, error=" ".join(exc.messages), status=400)
    messages.success(
        request,
        _("Thank you for letting us know. %(name)s keeps their place on the waiting list.")
        % {"name": selectors.first_name(match.participant.preferred_name)},
    )
    return redirect("matching:peer_requests", org.organisation.slug)
