"""Staff pages of crisis screening under ``/app/<org>/warmline/screening/``: the built-in rules by
concept and the word sets, the organisation's own rules and added words (add / edit / stop using),
"only the built-in rules" for a language, and "try a message" (tier, concepts, words that matched).
Thin: reads and writes through ``warmline.screening_rules``; the tried text goes only to
``screening.screen`` and back to the page — never to the database or a log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.core.forms import add_service_errors
from alongside.warmline import chat, screening, screening_rules
from alongside.warmline.forms_screening import ExampleForm, ResetForm, RuleForm, TryForm, WordEditForm, WordForm
from alongside.warmline.models import ScreeningLanguage, ScreeningRule
from alongside.warmline.screening.rules import RuleSpec


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
        "marks": screening_rules.marks_open(org),
        "examples": screening_rules.examples_screened(org),
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
    # "Make a rule from it" (a marked message): the form comes filled in, to edit before saving.
    for name in ("phrase", "concept", "tier"):
        if request.GET.get(name):
            initial[name] = request.GET[name][:200]
    mark = screening_rules.access_mark(org, request.GET["mark"], write=True) if request.GET.get("mark") else None
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and "preview" in request.POST:
        preview = _rule_preview(org, form, form.cleaned_data["language"]) if form.is_valid() else None
        context = {"org": org, "form": form, "rule": None, "preview": preview}
        return render(request, "warmline/screening/form.html", context, status=200 if preview else 400)
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
                if mark is not None:
                    screening_rules.mark_resolve(acting_user=org.user, mark=mark)
                messages.success(request, _("The rule was added. Try a message to see it work."))
                return _list(org)
        return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": None}, status=400)
    return render(request, "warmline/screening/form.html", {"org": org, "form": form, "rule": None})


def _rule_preview(
    org: OrgContext, form: RuleForm, language: str, *, replacing: Any = None
) -> screening_rules.Preview | None:
    """ "Try it on our examples": what the rule in the form would change, or None (and the error on
    the form) when it cannot be read. Nothing is saved."""
    data = form.cleaned_data
    try:
        parts = screening.parse_rule(data["phrase"].lower(), set_names=set(screening.builtin(language).sets))
    except screening.RuleSyntaxError as exc:
        form.add_error("phrase", screening_rules.rule_error(exc))
        return None
    spec = RuleSpec(
        text=data["phrase"].lower(),
        parts=parts,
        concept=data["concept"],
        tier=data["tier"],
        negatable=data["negatable"],
    )
    return screening_rules.preview_change(org, language=language, rule=spec, replacing=replacing)


def _initial(rule: ScreeningRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in screening_rules.RULE_FIELDS}


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, org: OrgContext, rule_id: Any) -> HttpResponse:
    rule = screening_rules.access_rule(org, rule_id, write=True)
    form = RuleForm(request.POST or None, initial=_initial(rule), editing=True)
    if request.method == "POST" and "preview" in request.POST:
        preview = _rule_preview(org, form, rule.language, replacing=rule.pk) if form.is_valid() else None
        context = {"org": org, "form": form, "rule": rule, "preview": preview}
        return render(request, "warmline/screening/form.html", context, status=200 if preview else 400)
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
    if request.method == "POST" and "preview" in request.POST:
        preview = None
        if form.is_valid():
            data = form.cleaned_data
            preview = _word_preview(org, form, data["language"], data["set_name"], data["term"])
        context = {"org": org, "form": form, "word": None, "preview": preview}
        return render(request, "warmline/screening/word_form.html", context, status=200 if preview else 400)
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


def _word_preview(
    org: OrgContext, form: WordForm | WordEditForm, language: str, set_name: str, term: str, *, replacing: Any = None
) -> screening_rules.Preview | None:
    """ "Try it on our examples" for a word: what adding it to the set (or changing it to this) would
    change, or None (and the error on the form) when it cannot be read. Nothing is saved."""
    try:
        parsed = screening.parse_term(term.strip().lower())
    except screening.RuleSyntaxError as exc:
        form.add_error("term", screening_rules.rule_error(exc))
        return None
    return screening_rules.preview_change(org, language=language, word=(set_name, parsed), replacing_word=replacing)


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def word_edit(request: HttpRequest, org: OrgContext, word_id: Any) -> HttpResponse:
    word = screening_rules.access_word(org, word_id, write=True)
    initial = {"term": word.term, "note": word.note, "is_active": word.is_active}
    form = WordEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and "preview" in request.POST:
        preview = None
        if form.is_valid():
            preview = _word_preview(
                org, form, word.language, word.set_name, form.cleaned_data["term"], replacing=word.pk
            )
        context = {"org": org, "form": form, "word": word, "preview": preview}
        return render(request, "warmline/screening/word_form.html", context, status=200 if preview else 400)
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


@org_view("warmline.answer")
@require_POST
def mark_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """A peer or supervisor marks a chat message or a call record: screening missed it, or flagged
    it wrongly. Back to the page they came from."""
    from alongside.warmline import contacts
    from alongside.warmline.models import Message

    target, target_id, kind = request.POST.get("target"), request.POST.get("id"), request.POST.get("kind")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/app/"):
        back = reverse("warmline:screening_rules", args=[org.organisation.slug])
    try:
        if target == "message":
            message = Message.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(target_id)).first()
            if message is None:
                raise Http404
            chat.access_conversation(org, message.conversation_id)  # the same 404 as a missing one
            screening_rules.mark_create(acting_user=org.user, kind=kind, message=message)
        elif target == "contact":
            contact = contacts.access_contact(org, target_id)
            screening_rules.mark_create(acting_user=org.user, kind=kind, contact=contact)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
    else:
        messages.success(request, _("Thank you: an admin will see your mark beside the screening rules."))
    return redirect(back)


@org_view("warmline.screening_change")
@require_POST
def mark_resolve(request: HttpRequest, org: OrgContext, mark_id: Any) -> HttpResponse:
    mark = screening_rules.access_mark(org, mark_id, write=True)
    screening_rules.mark_resolve(acting_user=org.user, mark=mark)
    messages.success(request, _("The mark is set aside; the rules stay as they are."))
    return _list(org)


@org_view("warmline.screening_change")
@require_http_methods(["GET", "POST"])
def example_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    language = request.GET.get("language")
    form = ExampleForm(
        request.POST or None,
        initial={"language": language if language in ScreeningLanguage.values else "en", "should_flag": "yes"},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                screening_rules.example_add(
                    acting_user=org.user,
                    organisation=org.organisation,
                    language=form.cleaned_data["language"],
                    text=form.cleaned_data["text"],
                    should_flag=form.cleaned_data["should_flag"] == "yes",
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The example is kept. Rule changes can now be tried on it."))
                return _list(org)
        return render(request, "warmline/screening/example_form.html", {"org": org, "form": form}, status=400)
    return render(request, "warmline/screening/example_form.html", {"org": org, "form": form})


@org_view("warmline.screening_change")
@require_POST
def example_deactivate(request: HttpRequest, org: OrgContext, example_id: Any) -> HttpResponse:
    example = screening_rules.access_example(org, example_id, write=True)
    screening_rules.example_deactivate(acting_user=org.user, example=example)
    messages.success(request, _("The example is no longer used."))
    return _list(org)
