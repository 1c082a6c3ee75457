"""Forms of the call and chat records and repeat-caller plans. They check the shape of the input;
the services (``alongside.warmline.contacts``) check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.people.models import Participant
from alongside.safety.models import SUMMARY_MAX_LENGTH
from alongside.warmline.contacts import (
    ALIAS_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    PLAN_NOTES_MAX_LENGTH,
    RESOURCES_OTHER_MAX_LENGTH,
)
from alongside.warmline.models import CallerKind, Channel, Helped, Line, PlanPeriod, ResourceGiven, WarmlineTopic

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

MOODS = [
    ("1", _("1 · having a very hard time")),
    ("2", _("2 · struggling")),
    ("3", _("3 · getting by")),
    ("4", _("4 · fairly OK")),
    ("5", _("5 · doing well")),
]


def _when(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
        error_messages={"invalid": _("Give a date and time, like 2026-03-01 14:30.")},
        **kwargs,
    )


def _alias_field() -> forms.CharField:
    return forms.CharField(
        label=_("What they like to be called"),
        required=False,
        max_length=ALIAS_MAX_LENGTH,
        help_text=_("A first name or nickname they gave, if any. Anonymous is fine. Stored encrypted."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class StartForm(forms.Form):
    """Log a call (or chat) by hand: which line, when it started, who (if they said)."""

    line = forms.ModelChoiceField(
        label=_("Line"),
        queryset=Line.objects.none(),
        empty_label=None,
        error_messages={"required": _("Choose a line.")},
    )
    channel = forms.ChoiceField(
        label=_("Call or chat"),
        choices=Channel.choices,
        initial=Channel.CALL,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether this was a call or a chat.")},
    )
    started_at = _when(_("Started"))
    caller_alias = _alias_field()

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]
        self.fields["line"].error_messages["invalid_choice"] = _("Choose one of this organisation's lines.")
        self.fields["started_at"].error_messages["required"] = _("Say when the contact started.")


class FinishForm(forms.Form):
    """The under-a-minute form: everything but the times is optional."""

    started_at = _when(_("Started"))
    ended_at = _when(_("Ended"))
    caller_kind = forms.ChoiceField(
        label=_("Have they been in touch before?"),
        choices=CallerKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether this was their first time, or that you are not sure.")},
    )
    mood_start = forms.ChoiceField(
        label=_("Their mood at the start, as you heard it"), choices=MOODS, required=False, widget=forms.RadioSelect
    )
    mood_end = forms.ChoiceField(
        label=_("Their mood at the end"), choices=MOODS, required=False, widget=forms.RadioSelect
    )
    topics = forms.MultipleChoiceField(
        label=_("What it was about"), choices=WarmlineTopic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    helped = forms.MultipleChoiceField(
        label=_("What helped"), choices=Helped.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    resources = forms.MultipleChoiceField(
        label=_("Resources or referrals you gave"),
        choices=ResourceGiven.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    resources_other = forms.CharField(
        label=_("Other resources you gave"), required=False, max_length=RESOURCES_OTHER_MAX_LENGTH
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Private: only you and your supervisor can read these. Stored encrypted."),
    )
    follow_up_needed = forms.BooleanField(label=_("A follow-up is needed"), required=False)
    caller_alias = _alias_field()
    participant = forms.ModelChoiceField(
        label=_("Someone you support, if it was them"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label=_("No one on record (most callers)"),
        help_text=_("Only if the person chose to be known. Anonymous callers never need a record."),
    )

    def __init__(self, *args: Any, participants: QuerySet[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
        self.fields["participant"].error_messages["invalid_choice"] = _(
            "Choose one of the people you support, or no one."
        )
        self.fields["started_at"].error_messages["required"] = _("Say when the contact started.")
        self.fields["ended_at"].error_messages["required"] = _("Say when the contact ended.")
        for name in ("mood_start", "mood_end"):
            self.fields[name].error_messages["invalid_choice"] = _("Choose a mood from 1 to 5, or leave it blank.")
        self.fields["topics"].error_messages["invalid_choice"] = _("Choose topics from the list.")
        self.fields["helped"].error_messages["invalid_choice"] = _("Choose what helped from the list.")
        self.fields["resources"].error_messages["invalid_choice"] = _("Choose resources from the list.")

    def details(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("mood_start", "mood_end"):
            data[name] = int(data[name]) if data.get(name) else None
        return data


class EscalateForm(forms.Form):
    summary = forms.CharField(
        label=_("What happened, in your own words"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write a few words about what happened, in your own words.")},
        help_text=_("Only you, your supervisor and the coordinators can read this."),
    )


class SearchForm(forms.Form):
    alias = forms.CharField(label=_("Name they gave"), required=False, max_length=ALIAS_MAX_LENGTH)
    day = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give a date, like 2026-03-01.")},
    )
    line = forms.ChoiceField(label=_("Line"), required=False)

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Any line")), *[(line.slug, line.name) for line in lines]]
        self.fields["line"].choices = choices  # type: ignore[attr-defined]
        self.fields["line"].error_messages["invalid_choice"] = _("Choose one of the lines.")


class PlanForm(forms.Form):
    caller_alias = forms.CharField(
        label=_("Who the plan is with: the name they use on the line"),
        max_length=ALIAS_MAX_LENGTH,
        error_messages={"required": _("Say who the plan is with: the name they use on the line.")},
        help_text=_("Peers see the plan when they enter this name while answering. Stored encrypted."),
    )
    line = forms.ModelChoiceField(
        label=_("Line"), queryset=Line.objects.none(), required=False, empty_label=_("Every line")
    )
    max_contacts = forms.IntegerField(label=_("At most this many contacts"), required=False, min_value=1, max_value=50)
    period = forms.ChoiceField(
        label=_("Per"), choices=[("", "—"), *PlanPeriod.choices], required=False, help_text=_("Needed with a number.")
    )
    max_minutes = forms.IntegerField(label=_("Each for up to (minutes)"), required=False, min_value=5, max_value=240)
    starts_on = forms.DateField(
        label=_("Starts"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the day the plan starts."), "invalid": _("Give a date, like 2026-03-01.")},
    )
    expires_on = forms.DateField(
        label=_("Expires"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the day the plan expires."),
            "invalid": _("Give a date, like 2026-03-01."),
        },
    )
    notes = forms.CharField(
        label=_("What was agreed, in words"),
        required=False,
        max_length=PLAN_NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the peer who answers. Stored encrypted."),
    )

    def __init__(self, *args: Any, lines: QuerySet[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]
        self.fields["line"].error_messages["invalid_choice"] = _("Choose one of this organisation's lines.")
