"""Staff forms of a group's running: the roster, a safety concern, staff registration, counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.groups.vocab import Topic


class RosterForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Who came"), required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "big-touch"})
    )
    dropin_headcount = forms.IntegerField(
        label=_("People who came without registering"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_("Just a number: drop-ins stay anonymous."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics discussed"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Private and encrypted; every read is logged. Leave out what is not needed."),
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = people  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "present_ids": data.get("present") or [],
            "dropin_headcount": data.get("dropin_headcount"),
            "topics": data.get("topics") or [],
            "notes": data.get("notes") or "",
        }


class SafetyConcernForm(forms.Form):
    summary = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Briefly, what you saw or heard and who may need help. It goes straight to the safety team."),
    )


class StaffRegisterForm(forms.Form):
    participant = forms.ChoiceField(label=_("Person"))
    agreement_acknowledged = forms.BooleanField(
        label=_("The person has read or heard the group agreement"), required=False
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], has_agreement: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a person")), *people]
        self.fields["participant"].choices = choices  # type: ignore[attr-defined]
        if not has_agreement:
            del self.fields["agreement_acknowledged"]


class CountsForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def default_range() -> tuple[date, date]:
        today = timezone.localdate()
        return today - timedelta(days=90), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("Choose a date on or after the start."))
            elif (end - start).days > 3 * 366:
                self.add_error("end", _("Choose at most three years."))
        return data
