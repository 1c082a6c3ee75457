"""Forms for safety concerns: each field says why it is asked and who will read it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.people.models import Participant
from alongside.safety.models import MAX_STEPS, NOTE_MAX_LENGTH, STEP_MAX_LENGTH, SUMMARY_MAX_LENGTH, Outcome


class RaiseForm(forms.Form):
    summary = forms.CharField(
        label=_("What happened?"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "In your own words: what you noticed or what the person said. Your supervisor and the "
            "people who follow up on safety concerns read it. It is stored encrypted."
        ),
        error_messages={
            "required": _("Write a few words about what happened, in your own words."),
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    participant = forms.ModelChoiceField(
        label=_("Who is it about? (optional)"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label=_("Someone without a record here, or rather not say"),
        help_text=_("Only people whose records you can see are listed. Leave it empty if they have no record."),
        error_messages={"invalid_choice": _("Choose a person from the list, or leave it empty.")},
    )

    def __init__(self, *args: Any, participants: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["participant"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = participants.order_by("preferred_name", "created_at")


class StepForm(forms.Form):
    step = forms.IntegerField(min_value=0, max_value=MAX_STEPS - 1)
    done = forms.BooleanField(required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened next?"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what happened next."),
            "invalid_choice": _("Choose what happened next."),
        },
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was offered and how the person was when you parted. Stored encrypted."),
        error_messages={"max_length": _("Keep this to %(limit_value)d characters or fewer.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notes"].condition = _("needed when you choose “something else”")  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("How did the follow-up go? (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Keep this to %(limit_value)d characters or fewer.")},
    )


class ChecklistForm(forms.Form):
    steps = forms.CharField(
        label=_("Steps, one per line"),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Keep at least one step.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["steps"].help_text = _(
            "Up to %(steps)d steps of up to %(chars)d characters each. Concerns already raised keep "
            "the steps they were raised with."
        ) % {"steps": MAX_STEPS, "chars": STEP_MAX_LENGTH}

    def clean_steps(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]
