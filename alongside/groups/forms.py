"""Staff forms for groups: the group itself, a schedule in plain words (the form builds the RFC 5545
rule: people never type one), one session's cancellation or new time, a one-off session, the
agreement, the status. Every check that matters is in ``groups.services``; these forms only turn
what was typed into values."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Membership, Organisation, Program, Site, User
from alongside.groups import schedules as rules
from alongside.groups.models import GroupStatus
from alongside.groups.services import FACILITATOR_ROLES, NOTE_MAX_LENGTH
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining, Topic
from alongside.web.forms import LANGUAGE_CHOICES

# --- Time zones (common ones first) ------------------------------------------------------------

COMMON_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Europe/London",
]


def zone_choices() -> list[tuple[str, str]]:
    rest = sorted(z for z in zoneinfo.available_timezones() if "/" in z and z not in COMMON_ZONES)
    return [(z, z.replace("_", " ")) for z in [*COMMON_ZONES, *rest]]


def _facilitators(organisation: Organisation) -> QuerySet[User]:
    ids = Membership.objects.filter(organisation=organisation, is_active=True, role__in=FACILITATOR_ROLES).values(
        "user_id"
    )
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "email")


class ChoiceFromList(forms.ModelChoiceField):
    """A model choice whose malformed id reads as "choose from the list" (not a UUID error)."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class FacilitatorChoice(ChoiceFromList):
    def label_from_instance(self, obj: Any) -> str:
        return obj.preferred_name or obj.full_name or obj.email


class FacilitatorsChoice(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)
        except ValidationError as exc:
            if exc.code == "required":
                raise
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None

    def label_from_instance(self, obj: Any) -> str:
        return obj.preferred_name or obj.full_name or obj.email


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("About the group"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Public: shown in the directory. Say who it is for and what happens, in a welcoming way."),
    )
    program = ChoiceFromList(
        label=_("Program"),
        queryset=Program.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a program from the list.")},
    )
    audience = forms.ChoiceField(label=_("Who it is for"), choices=Audience.choices, widget=forms.RadioSelect)
    communities = forms.MultipleChoiceField(
        label=_("Communities"), choices=Community.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    age_min = forms.IntegerField(label=_("Youngest age welcome"), required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(label=_("Oldest age welcome"), required=False, min_value=0, max_value=120)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    format = forms.ChoiceField(label=_("How it meets"), choices=GroupFormat.choices, widget=forms.RadioSelect)
    site = ChoiceFromList(
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("No site (online or by phone)"),
        error_messages={"invalid_choice": _("Choose a site from the list.")},
    )
    online_url = forms.CharField(
        label=_("Video link"),
        required=False,
        max_length=500,
        help_text=_("Starting with https://. Shown only to registered people unless you choose below."),
    )
    dial_in = forms.CharField(label=_("Phone number to join"), required=False, max_length=40)
    join_details_public = forms.BooleanField(
        label=_("Show how to join (link or number) publicly"),
        required=False,
        help_text=_("Only for drop-in groups."),
    )
    joining = forms.ChoiceField(label=_("Joining"), choices=Joining.choices, widget=forms.RadioSelect)
    capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=500,
        help_text=_("Needed for groups people register for."),
    )
    is_open = forms.BooleanField(
        label=_("Open group: new people are welcome at any session"), required=False, initial=True
    )
    facilitator = FacilitatorChoice(
        label=_("Facilitator"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Not chosen yet"),
        error_messages={"invalid_choice": _("Choose the facilitator from the list.")},
    )
    co_facilitators = FacilitatorsChoice(
        label=_("Co-facilitators"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose co-facilitators from the list."),
            "invalid_pk_value": _("Choose co-facilitators from the list."),
        },
    )
    accessibility = forms.MultipleChoiceField(
        label=_("Accessibility"), choices=Accessibility.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    accessibility_notes = forms.CharField(label=_("More about access"), required=False, max_length=500)
    is_free = forms.BooleanField(label=_("Free"), required=False, initial=True)
    cost_description = forms.CharField(label=_("Cost"), required=False, max_length=200)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=())
    is_public = forms.BooleanField(label=_("List publicly in the directory"), required=False, initial=True)
    slug = forms.SlugField(
        label=_("Web address name"),
        required=False,
        max_length=80,
        help_text=_("Lower-case letters, numbers and hyphens. Left empty, it is made from the name."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, offers_groups=True, is_active=True
        )
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, is_active=True
        )
        people = _facilitators(organisation)
        self.fields["facilitator"].queryset = people  # type: ignore[attr-defined]
        self.fields["co_facilitators"].queryset = people  # type: ignore[attr-defined]
        self.fields["timezone"].choices = zone_choices()  # type: ignore[attr-defined]
        if not self.is_bound and "timezone" not in self.initial:
            self.initial["timezone"] = organisation.timezone
        self.initial.setdefault("audience", Audience.ADULTS)
        self.initial.setdefault("joining", Joining.DROP_IN)
        self.initial.setdefault("language", "en")

    def group_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("co_facilitators", None)
        return data


# --- Schedules in plain words ------------------------------------------------------------------

WEEKDAY_CHOICES = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
PATTERN_CHOICES = [
    ("weekly", _("Every week")),
    ("biweekly", _("Every other week")),
    ("monthly_1", _("Monthly, on the first")),
    ("monthly_2", _("Monthly, on the second")),
    ("monthly_3", _("Monthly, on the third")),
    ("monthly_4", _("Monthly, on the fourth")),
    ("monthly_-1", _("Monthly, on the last")),
]


def build_rule(pattern: str, weekday: str) -> str:
    """The RRULE for a pattern and a weekday (``biweekly`` + ``TH`` → every other Thursday)."""
    if pattern == "weekly":
        return f"FREQ=WEEKLY;BYDAY={weekday}"
    if pattern == "biweekly":
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
    if pattern.startswith("monthly_"):
        return f"FREQ=MONTHLY;BYDAY={pattern.removeprefix('monthly_')}{weekday}"
    raise ValueError(pattern)


def split_rule(rule: str) -> tuple[str, str] | None:
    """The form's (pattern, weekday) for a rule it can show, else None."""
    parts = dict(item.partition("=")[::2] for item in rule.split(";"))
    day = parts.get("BYDAY", "")
    if "," in day or len(day) < 2:
        return None
    weekday, ordinal = day[-2:], day[:-2].lstrip("+")
    interval = parts.get("INTERVAL", "1")
    if parts.get("FREQ") == "WEEKLY" and not ordinal and interval in ("1", "2"):
        return ("weekly" if interval == "1" else "biweekly"), weekday
    if parts.get("FREQ") == "MONTHLY" and interval == "1" and ordinal in ("1", "2", "3", "4", "-1"):
        return f"monthly_{ordinal}", weekday
    return None


class ScheduleForm(forms.Form):
    pattern = forms.ChoiceField(
        label=_("How often"),
        choices=PATTERN_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how often the group meets.")},
    )
    weekday = forms.ChoiceField(
        label=_("Day of the week"),
        choices=WEEKDAY_CHOICES,
        error_messages={"required": _("Choose the day of the week.")},
    )
    start_time = forms.TimeField(
        label=_("Starts at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the group's time zone."),
        error_messages={"required": _("Enter the time the group starts."), "invalid": _("Enter a time like 18:00.")},
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=15,
        max_value=480,
        initial=90,
        error_messages={"required": _("Enter how long a session lasts, in minutes.")},
    )
    start_date = forms.DateField(
        label=_("First session on or after"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the date of the first session."), "invalid": _("Enter a real date.")},
    )
    until = forms.DateField(
        label=_("Last date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a real date.")},
    )

    def schedule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "rrule": build_rule(data["pattern"], data["weekday"]),
            "start_date": data["start_date"],
            "start_time": data["start_time"],
            "duration_minutes": data["duration_minutes"],
            "until": data.get("until"),
        }

    @classmethod
    def initial_for(cls, schedule: Any) -> dict[str, Any]:
        split = split_rule(schedule.rrule) or ("weekly", "MO")
        return {
            "pattern": split[0],
            "weekday": split[1],
            "start_time": schedule.start_time,
            "duration_minutes": schedule.duration_minutes,
            "start_date": schedule.start_date,
            "until": schedule.until,
        }


class ScheduleEndForm(forms.Form):
    last_date = forms.DateField(
        label=_("Last session on or before"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the last date."), "invalid": _("Enter a real date.")},
    )


# --- Sessions ------------------------------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note for attendees"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Public, so people know: for example “Closed for the holiday” or “Room 2 this week”."),
    )


class SessionTimeForm(NoteForm):
    """A session's date and time in the group's time zone, and its length."""

    day = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the date."), "invalid": _("Enter a real date.")},
    )
    start_time = forms.TimeField(
        label=_("Starts at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Enter the time it starts."), "invalid": _("Enter a time like 18:00.")},
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=15,
        max_value=480,
        initial=90,
        error_messages={"required": _("Enter how long it lasts, in minutes.")},
    )
    field_order = ["day", "start_time", "duration_minutes", "note"]

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["start_time"].help_text = _("In the group's time zone (%(zone)s).") % {"zone": zone}

    def starts_at(self) -> datetime:
        day: date = self.cleaned_data["day"]
        at: time = self.cleaned_data["start_time"]
        return rules.localise(datetime.combine(day, at), ZoneInfo(self.zone))


class AgreementForm(forms.Form):
    text = forms.CharField(
        label=_("Group agreement"),
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "How the group looks after each other: confidentiality, respect, sharing the time. "
            "Publishing makes a new version; people acknowledge the version they read."
        ),
        error_messages={"required": _("Write the agreement the group shares.")},
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=GroupStatus.choices, widget=forms.RadioSelect)
