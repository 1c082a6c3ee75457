"""Staff forms of crisis screening: a rule, a reset to the defaults, and "try a message". Every
check that matters is in ``warmline.screening_rules``; these forms only turn what was typed into
values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.warmline.models import ScreeningLanguage
from alongside.warmline.screening_rules import NOTE_MAX_LENGTH, PHRASE_MAX_LENGTH

TRY_MAX_LENGTH = 2000

_language_errors = {
    "required": _("Choose English or Spanish."),
    "invalid_choice": _("Choose English or Spanish."),
}


class RuleForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the messages it looks at"),
        choices=ScreeningLanguage.choices,
        error_messages=_language_errors,
    )
    phrase = forms.CharField(
        label=_("Word or phrase"),
        max_length=PHRASE_MAX_LENGTH,
        help_text=_(
            "Plain words, not a pattern. Case, accents, apostrophes and repeated letters do not matter. "
            "End a word with * to match any ending: “suicid*” matches suicide and suicidal."
        ),
        error_messages={
            "required": _("Write the word or phrase to look for."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    negatable = forms.BooleanField(
        label=_("A negation just before it cancels it"),
        required=False,
        initial=True,
        help_text=_(
            "For statements such as “suicidal”: “I am not suicidal” does not flag. Untick it for phrases "
            "that already hold their negation, such as “don't want to live”."
        ),
    )
    note = forms.CharField(
        label=_("Why this rule exists"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("So the next person who edits the rules knows what it is for."),
        error_messages={"max_length": _("Keep this to %(limit_value)d characters or fewer.")},
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            # A rule keeps its language; add a new rule for another one.
            del self.fields["language"]
        else:
            del self.fields["is_active"]


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
