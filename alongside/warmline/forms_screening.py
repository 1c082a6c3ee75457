"""Staff forms of crisis screening: an own rule, a word added to a word set, "only the built-in
rules", and "try a message". Every check that matters is in ``warmline.screening_rules``; these
forms only turn what was typed into values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.warmline import screening
from alongside.warmline.models import ScreeningLanguage, ScreeningTier
from alongside.warmline.screening_rules import NOTE_MAX_LENGTH, PHRASE_MAX_LENGTH, TERM_MAX_LENGTH, concept_choices

TRY_MAX_LENGTH = 2000

_language_errors = {
    "required": _("Choose English or Spanish."),
    "invalid_choice": _("Choose English or Spanish."),
}
_note = {
    "label": _("Why this exists"),
    "required": False,
    "max_length": NOTE_MAX_LENGTH,
    "widget": forms.Textarea(attrs={"rows": 2}),
    "help_text": _("So the next person who edits the rules knows what it is for."),
    "error_messages": {"max_length": _("Keep this to %(limit_value)d characters or fewer.")},
}


class RuleForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the messages it looks at"),
        choices=ScreeningLanguage.choices,
        error_messages=_language_errors,
    )
    phrase = forms.CharField(
        label=_("Rule"),
        max_length=PHRASE_MAX_LENGTH,
        help_text=_(
            "Plain words match any form of the word (“kill” matches killing). @ and a word set's name match any word "
            "of the set (“@self”). ... lets up to 4 other words come between. = before a word matches it exactly; * at "
            "the end of a word matches any ending. Example: “@took ... @quantity ... @meds”."
        ),
        error_messages={
            "required": _("Write the rule: the words to look for."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    concept = forms.ChoiceField(
        label=_("Concept"),
        choices=concept_choices,
        initial=screening.OWN_CONCEPT,
        help_text=_("What a supervisor is told the message is about when the rule matches."),
        error_messages={"invalid_choice": _("Choose one of the concepts listed, or “Our own”.")},
    )
    tier = forms.ChoiceField(
        label=_("What a match does"),
        choices=ScreeningTier.choices,
        initial=ScreeningTier.URGENT,
        widget=forms.RadioSelect,
        help_text=_(
            "Urgent: the person sees the crisis options, the supervisor on duty is alerted and the chat moves to the "
            "front. Check in: the peer is prompted to ask about safety; the person sees nothing."
        ),
        error_messages={"required": _("Choose urgent or check in."), "invalid_choice": _("Choose urgent or check in.")},
    )
    negatable = forms.BooleanField(
        label=_("A negation just before it cancels it"),
        required=False,
        initial=True,
        help_text=_(
            "For statements such as “suicidal”: “I am not suicidal” does not flag. Untick it for rules "
            "that already hold their negation, such as “don't want to live”."
        ),
    )
    note = forms.CharField(**_note)  # type: ignore[arg-type]
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            # A rule keeps its language; add a new rule for another one.
            del self.fields["language"]
        else:
            del self.fields["is_active"]


def _set_choices() -> list[tuple[str, str]]:
    names: dict[str, None] = {}
    for language in screening.LANGUAGES:
        names.update(dict.fromkeys(screening.builtin(language).sets))
    return [(name, name) for name in sorted(names)]


class WordForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the messages it looks at"),
        choices=ScreeningLanguage.choices,
        error_messages=_language_errors,
    )
    set_name = forms.ChoiceField(
        label=_("Word set"),
        choices=_set_choices,
        help_text=_(
            "Every rule that uses this word set will match the new word too. The sets are listed on the rules page."
        ),
        error_messages={
            "required": _("Choose a word set."),
            "invalid_choice": _("Choose one of the word sets listed."),
        },
    )
    term = forms.CharField(
        label=_("Word or words"),
        max_length=TERM_MAX_LENGTH,
        help_text=_("Any form of the word matches (“overdose” matches overdosed). = before a word matches it exactly."),
        error_messages={
            "required": _("Write the word or words to add."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    note = forms.CharField(**_note)  # type: ignore[arg-type]


class WordEditForm(forms.Form):
    term = WordForm.base_fields["term"]
    note = forms.CharField(**_note)  # type: ignore[arg-type]
    is_active = forms.BooleanField(label=_("In use"), required=False)


class ExampleForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=ScreeningLanguage.choices, error_messages=_language_errors
    )
    text = forms.CharField(
        label=_("Example message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("Write it as people write to you. Please do not paste a real person's message. Kept encrypted."),
        error_messages={
            "required": _("Write the example message."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    should_flag = forms.ChoiceField(
        label=_("Should screening flag it?"),
        choices=[("yes", _("Yes: it is about someone's safety")), ("no", _("No: it is an everyday message"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether screening should flag it."),
            "invalid_choice": _("Choose yes or no."),
        },
    )


class ResetForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=ScreeningLanguage.choices,
        widget=forms.RadioSelect,
        error_messages=_language_errors,
    )


class TryForm(forms.Form):
    """The tried text is screened and shown back, never stored or logged."""

    text = forms.CharField(
        label=_("Message to try"),
        max_length=TRY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("What you type here is not stored or logged. Please do not paste a real person's messages."),
        error_messages={
            "required": _("Write a message to try."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Either (use both rule sets)")), *ScreeningLanguage.choices],
        error_messages={"invalid_choice": _("Choose English, Spanish or either.")},
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Write a message to try."))
        return text
