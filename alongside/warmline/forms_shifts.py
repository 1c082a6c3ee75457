"""Forms of the shift pages: a recurring pattern in plain words (the form builds the RFC 5545 rule;
people never type one), a one-off shift, assigning a person, the supervisor on duty, offering a
swap and the on-shift status. The rules that matter are in ``warmline/rota.py``; these forms only
turn what was typed into values."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, User
from alongside.groups.forms import ChoiceFromList
from alongside.groups.schedules import localise
from alongside.warmline import rota
from alongside.warmline.models import DutyStatus, Line
from alongside.warmline.models.shifts import MAX_PEERS_LIMIT

WEEKDAY_CHOICES = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]


class PersonChoice(ChoiceFromList):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def lines_of(organisation: Organisation) -> QuerySet[Line]:
    return Line.objects.filter(organisation=organisation, is_active=True).order_by("name")


class _Counts(forms.Form):
    min_peers = forms.IntegerField(
        label=_("Fewest peers needed"),
        min_value=0,
        max_value=MAX_PEERS_LIMIT,
        initial=1,
        help_text=_("Fewer than this and the shift shows as a gap on the rota."),
    )
    max_peers = forms.IntegerField(
        label=_("Most peers"),
        min_value=1,
        max_value=MAX_PEERS_LIMIT,
        initial=2,
        help_text=_("Sign-up closes when this many are on the shift."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_peers"), data.get("max_peers")
        if low is not None and high is not None and low > high:
            self.add_error("min_peers", _("The fewest peers cannot be more than the most peers."))
        return data


class PatternForm(_Counts):
    line = ChoiceFromList(label=_("Line"), queryset=Line.objects.none(), empty_label=None)
    days = forms.MultipleChoiceField(
        label=_("Days of the week"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    every = forms.TypedChoiceField(
        label=_("How often"),
        coerce=int,
        choices=[
            (1, _("Every week")),
            (2, _("Every other week")),
            (3, _("Every third week")),
            (4, _("Every fourth week")),
        ],
        initial=1,
    )
    start_time = forms.TimeField(label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=15, max_value=24 * 60, initial=240)
    start_date = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to keep repeating."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines_of(organisation)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("start_date"), data.get("until")
        if first and last and last < first:
            self.add_error("until", _("The last day cannot be before the first day."))
        return data

    def pattern_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        rule = "FREQ=WEEKLY"
        if data["every"] != 1:
            rule += f";INTERVAL={data['every']}"
        rule += ";BYDAY=" + ",".join(d for d, _label in WEEKDAY_CHOICES if d in data["days"])
        return {
            "line": data["line"],
            "rrule": rule,
            "start_date": data["start_date"],
            "until": data["until"],
            "start_time": data["start_time"],
            "duration_minutes": data["duration_minutes"],
            "min_peers": data["min_peers"],
            "max_peers": data["max_peers"],
        }


class RotaFilter(forms.Form):
    """The rota's week (any day of it) and line."""

    week = forms.DateField(required=False, label=_("Week of"), widget=forms.DateInput(attrs={"type": "date"}))
    line = ChoiceFromList(required=False, label=_("Line"), queryset=Line.objects.none(), empty_label=_("Every line"))

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines_of(organisation)  # type: ignore[attr-defined]


class PatternEndForm(forms.Form):
    last_day = forms.DateField(label=_("Last day of this pattern"), widget=forms.DateInput(attrs={"type": "date"}))


class OneOffForm(_Counts):
    line = ChoiceFromList(label=_("Line"), queryset=Line.objects.none(), empty_label=None)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=15, max_value=24 * 60, initial=240)
    supervisor = PersonChoice(
        label=_("Supervisor on duty"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet")
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["line"].queryset = lines_of(organisation)  # type: ignore[attr-defined]
        self.fields["supervisor"].queryset = rota.supervisor_people(organisation)  # type: ignore[attr-defined]

    def shift_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        starts = localise(datetime.combine(data["day"], data["start_time"]), ZoneInfo(self.organisation.timezone))
        return {
            "line": data["line"],
            "starts_at": starts,
            "ends_at": starts + timedelta(minutes=data["duration_minutes"]),
            "min_peers": data["min_peers"],
            "max_peers": data["max_peers"],
            "supervisor": data["supervisor"],
        }


class AssignForm(forms.Form):
    user = PersonChoice(label=_("Person"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = rota.shift_people(organisation)  # type: ignore[attr-defined]


class UnassignForm(forms.Form):
    assignment = forms.UUIDField(widget=forms.HiddenInput)


class SupervisorForm(forms.Form):
    supervisor = PersonChoice(
        label=_("Supervisor on duty"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = rota.supervisor_people(organisation)  # type: ignore[attr-defined]


class SwapOfferForm(forms.Form):
    offered_to = PersonChoice(
        label=_("Offer it to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone who can take it"),
        help_text=_("A coordinator approves the swap once someone takes it."),
    )

    def __init__(self, *args: Any, organisation: Organisation, exclude: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offered_to"].queryset = rota.shift_people(organisation).exclude(pk=exclude.pk)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("My status"), choices=DutyStatus.choices, widget=forms.RadioSelect)


def first_error(form: forms.BaseForm) -> str:
    """The form's first message (for pages that show one line after a small form)."""
    for errors in form.errors.values():
        return str(errors[0])
    return str(ValidationError(_("Check what you entered.")).messages[0])
