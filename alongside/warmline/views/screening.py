"""Staff pages of crisis screening under ``/app/<org>/warmline/screening/``: the built-in rules by
concept and the word sets, the organisation's own rules and added words (add / edit / stop using),
"only the built-in rules" for a language, and "try a message" (tier, concepts, words that matched).
Thin: reads and writes through ``warmline.screening_rules``; the tried text goes only to
``screening.screen`` and back to the page — never to the database or a log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.warmline import screening, screening_rules
from alongside.warmline.forms_screening import ResetForm, RuleForm, TryForm, WordEditForm, WordForm
from alongside.warmline.models import ScreeningLanguage, ScreeningRule


def _list(org: OrgContext) -> HttpResponse:
    return redirect("warmline:screening_rules", org.organisation.slug)


def _page(
    request: HttpRequest, org: OrgContext, try_form: TryForm, verdict: Any = None, *, status: int = 200
) -> HttpResponse:
    context = {
        "org": org,
        "languages": screening_rules.rules_by_language(org.organisation),
        "try_form": try_form,
        "verdict": verdict,
        "hits": [
            {"tier": hit.tier, "concept": screening.concept_label(hit.concept), "rule": hit.rule, "words": hit.words}
            for hit in (verdict.hits if verdict else ())
        ],
        "can_change": org.can("warmline.screening_change"),
    }
    return render(request, "warmline/screening/list.html", context, status=status)


@org_view("warmline.screening_view")
@require_GET
def rule_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _page(request, org, TryForm())


@sensitive_post_parameters("text")
@org_view("warmline.screening_view")
@require_POST
def try_message(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = TryForm(request.POST)
    if not form.is_valid():
        return _page(request, org, form, status=400)
    verdict = screening.screen(
        form.cleaned_data["text"], organisation=org.organisation, language=form.cleaned_data["language"] or "auto"
    )
    return _page(request, org, form, verdict)


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    language = request.GET.get("language")
    initial = {"language": language if language in ScreeningLanguage.values else "en", "negatable": True}
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                screening_rules.rule_create(
                    acting_user=org.user,
                    organisation=org.organisation,
                    **{
                        name: form.cleaned_data[name]
                        for name in ("language", "phrase", "concept", "tier", "negatable", "note")
                    },
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rule was added. Try a message to see it work."))
                return _list(org)
        return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": None}, status=400)
    return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": None})


def _initial(rule: ScreeningRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in screening_rules.RULE_FIELDS}


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, org: OrgContext, rule_id: Any) -> HttpResponse:
    rule = screening_rules.access_rule(org, rule_id, write=True)
    form = RuleForm(request.POST or None, initial=_initial(rule), editing=True)
    if request.method == "POST":
        if form.is_valid():
            try:
                screening_rules.rule_update(
                    acting_user=org.user,
                    rule=rule,
                    **{name: form.cleaned_data[name] for name in screening_rules.RULE_FIELDS},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return _list(org)
        return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": rule}, status=400)
    return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": rule})


@org_view("warmline.screening_change")
@require_POST
def rule_deactivate(request: HttpRequest, org: OrgContext, rule_id: Any) -> HttpResponse:
    rule = screening_rules.access_rule(org, rule_id, write=True)
    screening_rules.rule_deactivate(acting_user=org.user, rule=rule)
    messages.success(
        request,
        _("The rule “%(phrase)s” is no longer in use. You can use it again from its edit page.")
        % {"phrase": rule.phrase},
    )
    return _list(org)


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def rules_reset(request: HttpRequest, org: OrgContext) -> HttpResponse:
    language = request.GET.get("language")
    form = ResetForm(
        request.POST or None, initial={"language": language if language in ScreeningLanguage.values else "en"}
    )
    if request.method == "POST":
        if form.is_valid():
            screening_rules.rules_reset_to_defaults(
                acting_user=org.user, organisation=org.organisation, language=form.cleaned_data["language"]
            )
            messages.success(
                request,
                _("Only the built-in rules are in use now. The rules and words you added are kept, not in use."),
            )
            return _list(org)
        return render(request, "warmline/screening/reset.html", {"org": org, "form": form}, status=400)
    return render(request, "warmline/screening/reset.html", {"org": org, "form": form})


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def word_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    language = request.GET.get("language")
    initial = {
        "language": language if language in ScreeningLanguage.values else "en",
        "set_name": request.GET.get("set", ""),
    }
    form = WordForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                screening_rules.word_add(
                    acting_user=org.user,
                    organisation=org.organisation,
                    **{name: form.cleaned_data[name] for name in ("language", "set_name", "term", "note")},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The word was added. Try a message to see it work."))
                return _list(org)
        return render(
            request, "warmline/screening/word_form.html", {"org": org, "form": form, "word": None}, status=400
        )
    return render(request, "warmline/screening/word_form.html", {"org": org, "form": form, "word": None})


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def word_edit(request: HttpRequest, org: OrgContext, word_id: Any) -> HttpResponse:
    word = screening_rules.access_word(org, word_id, write=True)
    initial = {"term": word.term, "note": word.note, "is_active": word.is_active}
    form = WordEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                screening_rules.word_update(
                    acting_user=org.user, word=word, **{n: form.cleaned_data[n] for n in ("term", "note", "is_active")}
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return _list(org)
        return render(
            request, "warmline/screening/word_form.html", {"org": org, "form": form, "word": word}, status=400
        )
    return render(request, "warmline/screening/word_form.html", {"org": org, "form": form, "word": word})
