"""Forms for the coordinator's and the peer supporter's matching pages. The rules live in the
services (``matching.services``); these forms only turn posted text into the services' arguments
and say, next to each question, why it is asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Program
from alongside.core import geo
from alongside.matching.models import DeclineReason, MatchWeights
from alongside.matching.services import MAX_TRAVEL_KM, NOTE_MAX
from alongside.people.forms.records import DAYS, MODALITY_CHOICES, SPECIALTY_CHOICES, TIMES
from alongside.people.models import AgeBand, Gender, LivedExperienceTerm, Participant
from alongside.web.forms import LANGUAGE_CHOICES


class AvailabilityGrid:
    """A weekday × morning/afternoon/evening grid of checkboxes (no JavaScript needed): one
    BooleanField per cell, named ``availability_<day>_<time>``, as on the peer profile form."""

    fields: dict[str, forms.Field]

    def add_availability(self, availability: dict[str, list[str]] | None) -> None:
        availability = availability or {}
        for day, day_label in DAYS:
            for time, time_label in TIMES:
                self.fields[f"availability_{day}_{time}"] = forms.BooleanField(
                    label=gettext("%(day)s, %(time)s") % {"day": day_label, "time": time_label},
                    required=False,
                    initial=time in availability.get(day, []),
                )

    @property
    def times(self) -> list[Any]:
        return [label for _value, label in TIMES]

    def availability_rows(self) -> list[tuple[Any, list[forms.BoundField]]]:
        form: Any = self
        return [(label, [form[f"availability_{day}_{time}"] for time, _t in TIMES]) for day, label in DAYS]

    def availability_value(self) -> dict[str, list[str]]:
        data = getattr(self, "cleaned_data", {})
        chosen = {day: [time for time, _t in TIMES if data.get(f"availability_{day}_{time}")] for day, _d in DAYS}
        return {day: times for day, times in chosen.items() if times}


# --- The match request ---------------------------------------------------------------------------


class MatchRequestForm(AvailabilityGrid, forms.Form):
    """What the person would like in a peer supporter. Everything but the program and a way of
    meeting is optional; the services check every rule and say which answer needs changing."""

    program = forms.ModelChoiceField(
        label=_("Program"),
        queryset=Program.objects.none(),
        empty_label=None,
        help_text=_("Only programs that offer one-on-one mentorship are listed."),
    )
    experiences = forms.MultipleChoiceField(
        label=_("Lived experience they would like their peer supporter to share"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only what the person said may be used to suggest a peer supporter is listed. Suggestions use it to find "
            "someone who has been there too."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A peer supporter must speak one of these. Left empty, the languages on their record are used."),
    )
    age_band = forms.ChoiceField(
        label=_("Age band"),
        choices=[("", _("As on their record")), *AgeBand.choices],
        required=False,
        help_text=_("Young people under 18 are only suggested youth-trained peer supporters."),
    )
    gender_preference = forms.MultipleChoiceField(
        label=_("Peer supporter's gender"),
        choices=Gender.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only if the person has a preference. Peer supporters choose whether to share their gender."),
    )
    gender_required = forms.BooleanField(
        label=_("This gender is a must, not just a preference"),
        required=False,
        help_text=_("Then only peer supporters who shared one of these genders are suggested."),
    )
    specialties = forms.MultipleChoiceField(
        label=_("Support that would help"),
        choices=SPECIALTY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modalities = forms.MultipleChoiceField(
        label=_("Ways of meeting that work for them"),
        choices=MODALITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one way of meeting.")},
    )
    latitude = forms.CharField(
        label=_("Latitude, approximately"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_(
            "Only for meeting in person, for example 43.66. It is rounded to about 1 km, used only to work out "
            "travelling distance, and never shown to anyone."
        ),
    )
    longitude = forms.CharField(
        label=_("Longitude, approximately"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Only for meeting in person, for example -70.26."),
    )
    travel_km = forms.CharField(
        label=_("How far they can travel (km)"),
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Anything else for the coordinator"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Stored encrypted and read only by coordinators and admins. Never shown to peer supporters. Write it in "
            "words you would be comfortable with the person reading."
        ),
    )

    MAIN_FIELDS: tuple[str, ...] = (
        "program",
        "experiences",
        "languages",
        "age_band",
        "gender_preference",
        "gender_required",
    )
    MEETING_FIELDS: tuple[str, ...] = ("specialties", "modalities", "latitude", "longitude", "travel_km")

    def __init__(
        self,
        *args: Any,
        participant: Participant,
        programs: QuerySet[Program],
        experiences: list[LivedExperienceTerm],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("languages", list(participant.languages or []))
        super().__init__(*args, **kwargs)
        self.terms = {str(t.pk): t for t in experiences}
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        experiences_field = self.fields["experiences"]
        assert isinstance(experiences_field, forms.MultipleChoiceField)
        experiences_field.choices = [(str(t.pk), t.label) for t in experiences]
        self.add_availability(self.initial.get("availability"))
        self.fields["travel_km"].help_text = gettext(
            "From 1 to %(max)d. Left empty, 10 km is used for meeting in person."
        ) % {"max": MAX_TRAVEL_KM}

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN_FIELDS]

    @property
    def meeting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MEETING_FIELDS]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "program": data["program"],
            "experiences": [self.terms[t] for t in data.get("experiences", [])],
            "languages": list(data.get("languages", [])),
            "age_band": data.get("age_band", ""),
            "gender_preference": list(data.get("gender_preference", [])),
            "gender_required": bool(data.get("gender_required")),
            "specialties": list(data.get("specialties", [])),
            "modalities": list(data.get("modalities", [])),
            "latitude": data.get("latitude", "").strip(),
            "longitude": data.get("longitude", "").strip(),
            "travel_km": data.get("travel_km", "").strip(),
            "availability": self.availability_value(),
            "note": data.get("note", ""),
        }


# --- Proposing, sending, answering ---------------------------------------------------------------


class ProposeForm(forms.Form):
    peer = forms.UUIDField(widget=forms.HiddenInput)


class BatchSendForm(forms.Form):
    """The reviewed proposal comes back signed (``token``); ``leave_out`` names the rows the
    coordinator chose not to send. Every pair is checked again when it is sent."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)
    leave_out = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])

    def __init__(self, *args: Any, rows: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leave_out = self.fields["leave_out"]
        assert isinstance(leave_out, forms.TypedMultipleChoiceField)
        leave_out.choices = [(str(i), str(i)) for i in range(rows)]


DECLINE_CHOICES = [("", _("Rather not say")), *DeclineReason.choices]


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why you can't take this on"),
        choices=DECLINE_CHOICES,
        required=False,
        help_text=_(
            "Optional. Only coordinators see it, and the person will not be suggested to you again. Nobody is told "
            "which peer supporter said no."
        ),
    )

    def service_reason(self) -> str:
        # The record keeps a reason from the list (the model requires one): unsaid is "another reason".
        return self.cleaned_data.get("reason") or DeclineReason.OTHER


class RecordAnswerForm(DeclineForm):
    """A coordinator records the answer a peer supporter gave them (by phone, in person): yes, or
    no with their reason if they gave one."""

    answer = forms.ChoiceField(
        label=_("Their answer"),
        choices=[("accept", _("Yes, they will be the peer supporter")), ("decline", _("No, they can't take this on"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether they said yes or no.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("If they said no, the reason they gave")
        self.fields["reason"].help_text = _("Optional. The person is never told which peer supporter said no.")
        self.order_fields(["answer", "reason"])


# --- Weights -------------------------------------------------------------------------------------

WEIGHT_HELP = {
    "base": _(
        "Every peer supporter who meets all the must-haves gets these points, so anyone suitable can be offered."
    ),
    "shared_experience": _(
        "Full points when the peer supporter shares every area of lived experience the person asked for; half when "
        "they share half of them."
    ),
    "specialty": _("For each kind of support the person asked for that the peer supporter offers."),
    "gender": _("When the person would like a gender but said it is not a must."),
    "availability": _("Full points when they share at least three free times in the week."),
    "distance": _("For meeting in person: more points the closer they live to each other."),
    "load": _("More points when the peer supporter has more room in their caseload: spreads people fairly."),
    "wellbeing_stretched": _(
        "Taken away when a peer supporter chose to share that they are stretched. Never shown to the person."
    ),
    "continuity": _("When the person worked with this peer supporter before and would like to again."),
    "waiting_per_day": _(
        "Only in batch proposals: each day a person has waited adds this many points, so those who waited longest "
        "come first when places are short."
    ),
    "waiting_days_cap": _("Waiting stops adding points after this many days."),
}


class WeightsForm(forms.Form):
    """Every weight as a bounded number, with what it does in plain words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MatchWeights.WEIGHT_FIELDS:
            model_field = MatchWeights._meta.get_field(name)
            label = str(getattr(model_field, "verbose_name", name))
            label = label[:1].upper() + label[1:]
            field: forms.Field
            if name == "waiting_per_day":
                field = forms.DecimalField(
                    min_value=Decimal("0"), max_value=Decimal("10"), max_digits=4, decimal_places=2
                )
            elif name == "waiting_days_cap":
                field = forms.IntegerField(min_value=1, max_value=3650)
            else:
                field = forms.IntegerField(min_value=0, max_value=100)
            field.label = label
            field.help_text = WEIGHT_HELP.get(name, "")
            field.widget.attrs.update({"inputmode": "decimal" if name == "waiting_per_day" else "numeric"})
            self.fields[name] = field

    POINT_FIELDS = tuple(n for n in MatchWeights.WEIGHT_FIELDS if n not in ("waiting_per_day", "waiting_days_cap"))

    @property
    def point_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.POINT_FIELDS]

    @property
    def waiting_fields(self) -> list[forms.BoundField]:
        return [self["waiting_per_day"], self["waiting_days_cap"]]


# --- The person asks for a peer supporter themselves (under their private link) ------------------


class PersonRequestForm(MatchRequestForm):
    """The same questions as ``MatchRequestForm``, asked of the person in their own words. Instead
    of coordinates they may give a ZIP code (turned into an approximate point offline, never
    shown); their age band is the one on their record."""

    zip_code = forms.CharField(
        label=_("Your ZIP code"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        help_text=_(
            "Only if you would like to meet in person. We use it to find someone near you and never show it to anyone."
        ),
    )

    MAIN_FIELDS = ("program", "experiences", "languages", "gender_preference", "gender_required")
    MEETING_FIELDS = ("specialties", "modalities", "zip_code", "travel_km")
    PERSON_WORDS: dict[str, tuple[Any, Any]] = {
        "program": (_("Program"), _("The programs you can ask in.")),
        "experiences": (
            _("What would you like your peer supporter to have lived through too?"),
            _("Only what you said may be used to suggest a peer supporter is listed. All of it is optional."),
        ),
        "languages": (_("Languages you would like to talk in"), _("Your peer supporter will speak one of these.")),
        "gender_preference": (
            _("Would you like your peer supporter to be a certain gender?"),
            _("Only if it matters to you. Peer supporters choose whether to share their gender."),
        ),
        "gender_required": (
            _("This is a must for me, not just a preference"),
            _("Then we only suggest peer supporters who shared one of these genders."),
        ),
        "specialties": (_("Support that would help you"), ""),
        "modalities": (_("Ways of meeting that work for you"), ""),
        "travel_km": (_("How far you can travel (km)"), ""),
        "note": (
            _("Anything else you would like the coordinator to know"),
            _("Only coordinators read this, never peer supporters."),
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("age_band", "latitude", "longitude"):
            del self.fields[name]
        for name, (label, help_text) in self.PERSON_WORDS.items():
            self.fields[name].label = label
            if help_text or name != "travel_km":
                self.fields[name].help_text = help_text

    def clean_zip_code(self) -> str:
        value = self.cleaned_data.get("zip_code", "").strip()
        if value and geo.zip_centroid(value) is None:
            raise forms.ValidationError(
                gettext("We could not find that ZIP code. Check the five numbers, or leave it empty.")
            )
        return value

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        point = geo.zip_centroid(self.cleaned_data.get("zip_code", ""))
        kwargs["latitude"], kwargs["longitude"] = point if point else ("", "")
        kwargs["age_band"] = ""
        return kwargs

    def add_service_errors(self, exc: Any) -> None:
        """The services speak of coordinates; the person gave a ZIP code."""
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                if key in ("latitude", "longitude"):
                    self.add_error(
                        "zip_code",
                        gettext(
                            "To suggest someone to meet in person, we need your ZIP code. Add it, or choose another "
                            "way of meeting too."
                        ),
                    )
                else:
                    self.add_error(key if key in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)
