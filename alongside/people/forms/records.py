"""Forms for what is recorded about a participant (consent, contacts, family, guardians, lived
experience) and for a peer supporter's own profile. Rules live in the services; these forms only
turn posted text into the services' arguments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Program
from alongside.people.models import (
    SHARING_PURPOSES,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactMode,
    ExperienceCategory,
    FamilyRelationship,
    Guardian,
    LivedExperienceTerm,
    Participant,
    PeerStatus,
    ServiceModel,
)
from alongside.web.forms import LANGUAGE_CHOICES


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- Consent ------------------------------------------------------------------------------------

# The form says what happens on paper; the signed form can be uploaded with it (people/documents.py).
METHOD_CHOICES = [
    (ConsentMethod.E_SIGNATURE.value, _("Electronic signature (the person types their name)")),
    (ConsentMethod.VERBAL.value, _("Verbal, with a witness")),
    (ConsentMethod.WRITTEN.value, _("Written form, signed on paper")),
]

RIGHT_TO_REVOKE = _(
    "The person may withdraw (revoke) this consent at any time, by telling us or in writing, except where "
    "we have already acted on it. Withdrawing stops any further sharing at once."
)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What is this consent for?"), choices=ConsentPurpose.choices)
    recipient = forms.CharField(
        label=_("Who may receive the information"),
        max_length=200,
        required=False,
        help_text=_(
            "Required when sharing with a referrer or a care team: name the person or team, for example "
            "“Dr. Okafor, Bayview Clinic”. Information goes only to the recipient named here."
        ),
    )
    given_by = forms.ChoiceField(label=_("Who is giving consent?"), choices=ConsentGivenBy.choices)
    guardian = forms.ModelChoiceField(
        label=_("Which parent or legal guardian"),
        queryset=Guardian.objects.none(),
        required=False,
        empty_label=_("Choose a legal guardian"),
        help_text=_("Only when a parent or guardian gives consent. Only legal guardians are listed."),
    )
    method = forms.ChoiceField(label=_("How was consent given?"), choices=METHOD_CHOICES)
    signature = forms.CharField(
        label=_("Typed signature"),
        max_length=200,
        required=False,
        help_text=_("For an electronic signature: the person signing types their full name."),
    )
    witness = forms.CharField(
        label=_("Witness"),
        max_length=200,
        required=False,
        help_text=_("For verbal consent: the name of the person who heard it, besides you."),
    )
    document = forms.FileField(
        label=_("Signed form"),  # with the size limit: see signed_form_field
        required=False,
        help_text=_(
            "For a written form: a scan or a clear photo of the signed page. It is stored encrypted and can only "
            "be downloaded, never opened in the browser."
        ),
    )
    form_on_file = forms.BooleanField(
        label=_("The signed form is kept on file"),
        required=False,
        help_text=_(
            "For a written form you do not upload: keep the signed paper form in your organisation's secure records."
        ),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty if it lasts until it is withdrawn."),
    )
    part2_information = forms.CharField(
        label=_("What information may be shared"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Be specific, for example “attendance and progress toward goals; no session notes”."),
    )
    part2_discloser = forms.CharField(
        label=_("Who may share it"),
        max_length=200,
        required=False,
        help_text=_("The program or person allowed to disclose it, for example this organisation's name."),
    )
    part2_expiry_event = forms.CharField(
        label=_("When the consent ends"),
        max_length=200,
        required=False,
        help_text=_("An event, for example “when I finish the program”. Not needed if you chose a date above."),
    )

    PART2_FIELDS = ("part2_information", "part2_discloser", "part2_expiry_event")

    def __init__(self, *args: Any, participant: Participant, may_consent_alone: bool, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"given_by": ConsentGivenBy.SELF if may_consent_alone else ConsentGivenBy.GUARDIAN}
        )
        super().__init__(*args, **kwargs)
        self.participant = participant
        signed_form_field(self.fields["document"])
        self.fields["purpose"].widget = forms.RadioSelect(choices=ConsentPurpose.choices)
        self.fields["given_by"].widget = forms.RadioSelect(choices=ConsentGivenBy.choices)
        self.fields["method"].widget = forms.RadioSelect(choices=METHOD_CHOICES)
        self.fields["guardian"].queryset = Guardian.objects.filter(  # type: ignore[attr-defined]
            participant=participant, is_legal_guardian=True
        )
        # Fields needed only in some cases say when, instead of "optional" (see _field.html).
        conditions = {
            "recipient": _("needed for sharing"),
            "guardian": _("when a parent or guardian consents"),
            "signature": _("for an electronic signature"),
            "witness": _("for verbal consent"),
            "document": _("for a written form"),
            "form_on_file": _("for a written form, if not uploaded"),
        }
        part2_condition = _("needed to share these records") if participant.part2 else _("for Part 2 records")
        conditions.update(dict.fromkeys(self.PART2_FIELDS, part2_condition))
        for name, condition in conditions.items():
            self.fields[name].condition = condition  # type: ignore[attr-defined]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.PART2_FIELDS]

    @property
    def part2_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.PART2_FIELDS]

    def clean_document(self) -> Any:
        return clean_signed_form(self.cleaned_data.get("document"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        written = data.get("method") == ConsentMethod.WRITTEN
        if written and not data.get("form_on_file") and not data.get("document"):
            self.add_error("form_on_file", _("Confirm that the signed form is kept on file, or upload a scan of it."))
        if data.get("document") and not written:
            self.add_error(
                "document",
                _("A signed form is uploaded only for a written consent. Choose “Written form” or remove it."),
            )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        part2_given = any(data.get(name, "").strip() for name in self.PART2_FIELDS)
        # The Part 2 elements are required for sharing Part 2 records; filled in, they make it a
        # Part 2 consent (and the service then checks every element).
        part2 = (self.participant.part2 and data["purpose"] in SHARING_PURPOSES) or part2_given
        return {
            "purpose": data["purpose"],
            "recipient": data.get("recipient", ""),
            "given_by": data["given_by"],
            "guardian": data.get("guardian"),
            "method": data["method"],
            "signature": data.get("signature", "") if data["method"] == ConsentMethod.E_SIGNATURE else "",
            "witness": data.get("witness", "") if data["method"] == ConsentMethod.VERBAL else "",
            "valid_until": data.get("valid_until"),
            "part2": part2,
            **{name: data.get(name, "") for name in self.PART2_FIELDS},
        }


def signed_form_field(field: forms.Field) -> None:
    """The upload control for a signed consent form: its label names the types and the size limit;
    people/documents.py checks both, by the file's content, and explains an empty file itself."""
    from alongside.people.documents import max_upload_bytes

    field.label = gettext("Signed form (PDF, PNG or JPEG, up to %(size)s MB)") % {
        "size": f"{max_upload_bytes() / (1024 * 1024):g}"
    }
    field.allow_empty_file = True  # type: ignore[attr-defined]
    field.widget = forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"})


def clean_signed_form(upload: Any) -> Any:
    """Check the file at once, so its error shows with the others (the service checks it again)."""
    from alongside.people.documents import validate_upload

    if upload:
        try:
            validate_upload(upload)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["document"]) from None
    return upload


class ConsentDocumentForm(forms.Form):
    """Upload the signed form for a consent already recorded."""

    document = forms.FileField(label=_("Signed form"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        signed_form_field(self.fields["document"])

    def clean_document(self) -> Any:
        return clean_signed_form(self.cleaned_data.get("document"))


# --- Contacts -----------------------------------------------------------------------------------

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class OrgLocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the organisation's time zone, returned as aware UTC."""

    def __init__(self, *, tz: ZoneInfo | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT))
        super().__init__(**kwargs)
        self.tz = tz

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.tz or timezone.get_current_timezone()):
            result = super().to_python(value)
        return result.astimezone(UTC) if result is not None else None


class ContactForm(forms.Form):
    occurred_at = OrgLocalDateTimeField(label=_("When"))
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    service_model = forms.ChoiceField(
        label=_("Kind of support"), choices=ServiceModel.choices, widget=forms.RadioSelect
    )
    mode = forms.ChoiceField(label=_("How you met or talked"), choices=ContactMode.choices, widget=forms.RadioSelect)
    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.none(), required=False, empty_label=_("No particular program")
    )
    topics = forms.CharField(
        label=_("Topics"),
        max_length=500,
        required=False,
        help_text=_("A few words, separated by commas, for example: housing, sleep, work."),
    )
    notes = forms.CharField(
        label=_("Private notes"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Stored encrypted. Read only by staff who can see this person's record: their peer supporter, "
            "that peer supporter's supervisor, coordinators and admins. Write what helps the support, in "
            "words you would be comfortable with the person reading."
        ),
    )
    follow_up_needed = forms.BooleanField(label=_("Follow-up needed"), required=False)

    def __init__(self, *args: Any, organisation: Any, programs: QuerySet[Program], **kwargs: Any) -> None:
        tz = ZoneInfo(organisation.timezone)
        kwargs.setdefault(
            "initial", {"occurred_at": timezone.localtime(timezone.now(), tz).strftime(LOCAL_INPUT_FORMAT)}
        )
        super().__init__(*args, **kwargs)
        field = self.fields["occurred_at"]
        assert isinstance(field, OrgLocalDateTimeField)
        field.tz = tz
        field.help_text = _("In the organisation's time zone (%(tz)s).") % {"tz": organisation.timezone}
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]

    def clean_topics(self) -> list[str]:
        return [t.strip() for t in str(self.cleaned_data.get("topics", "")).split(",") if t.strip()]


# --- Family and guardians -----------------------------------------------------------------------


class FamilyLinkForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("What are they to their loved one?"), choices=FamilyRelationship.choices, widget=forms.RadioSelect
    )
    loved_one = forms.ModelChoiceField(
        label=_("Their loved one, if enrolled here"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label=_("Not enrolled here"),
    )
    loved_one_name = forms.CharField(
        label=_("Or the loved one's first name"),
        max_length=100,
        required=False,
        help_text=_("When the loved one is not enrolled here. A first name is enough."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loved_one"].queryset = candidates  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("loved_one") is not None and str(data.get("loved_one_name", "")).strip():
            self.add_error("loved_one_name", _("Choose their record or give a first name, not both."))
        return data


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    relationship = forms.CharField(
        label=_("Relationship"),
        max_length=100,
        initial=_("Parent"),
        help_text=_("For example parent, aunt, foster parent."),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(label=_("Email"), required=False)
    is_legal_guardian = forms.BooleanField(
        label=_("Legal guardian (may consent for them)"),
        required=False,
        initial=True,
        help_text=_("Only legal guardians may give consent for a young person who cannot consent alone."),
    )

    def clean_name(self) -> str:
        value = str(self.cleaned_data["name"]).strip()
        if not value:
            raise forms.ValidationError(_("Enter the guardian's name."))
        return value


# --- Lived experience ---------------------------------------------------------------------------


def _by_category(terms: Iterable[LivedExperienceTerm]) -> list[tuple[str, list[LivedExperienceTerm]]]:
    labels = dict(ExperienceCategory.choices)
    groups: dict[str, list[LivedExperienceTerm]] = {}
    for term in terms:
        groups.setdefault(term.category, []).append(term)
    order = [c for c in ExperienceCategory.values if c in groups] + sorted(set(groups) - set(ExperienceCategory.values))
    return [(str(labels.get(c, c)), groups[c]) for c in order]


class ExperiencesForm(forms.Form):
    """Two checkboxes per term: "I share this" and "may be used to suggest a peer supporter"."""

    def __init__(
        self,
        *args: Any,
        terms: list[LivedExperienceTerm],
        current: dict[Any, bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        current = current or {}
        for term in terms:
            self.fields[f"share_{term.pk}"] = forms.BooleanField(
                label=_("I share this"), required=False, initial=term.pk in current
            )
            self.fields[f"match_{term.pk}"] = forms.BooleanField(
                label=_("May be used to suggest a peer supporter"), required=False, initial=current.get(term.pk, False)
            )

    def groups(self) -> list[tuple[str, list[tuple[LivedExperienceTerm, forms.BoundField, forms.BoundField]]]]:
        return [
            (label, [(t, self[f"share_{t.pk}"], self[f"match_{t.pk}"]) for t in terms])
            for label, terms in _by_category(self.terms)
        ]

    def selections(self) -> dict[LivedExperienceTerm, bool]:
        data = self.cleaned_data
        # "May be used for matching" only counts for what the person shares.
        return {t: bool(data.get(f"match_{t.pk}")) for t in self.terms if data.get(f"share_{t.pk}")}


# --- Peer supporter profile ---------------------------------------------------------------------

SPECIALTY_CHOICES = [
    ("youth", _("Youth and young adults")),
    ("family", _("Families")),
    ("veterans", _("Veterans")),
    ("lgbtq", _("LGBTQ+")),
    ("bipoc", _("BIPOC")),
    ("faith", _("Faith")),
    ("recovery", _("Recovery from substance use")),
    ("grief", _("Grief and loss")),
]

MODALITY_CHOICES = [
    ("in_person", _("In person")),
    ("phone", _("Phone")),
    ("video", _("Video")),
    ("text", _("Text messages")),
]

DAYS = [
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
]
TIMES = [("morning", _("Morning")), ("afternoon", _("Afternoon")), ("evening", _("Evening"))]


class PeerProfileForm(forms.Form):
    bio = forms.CharField(
        label=_("A short bio, in your words"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("People choosing a peer supporter read this. Share only what you are comfortable sharing."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you offer support in"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialties = forms.MultipleChoiceField(
        label=_("Specialties"), choices=SPECIALTY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    modalities = forms.MultipleChoiceField(
        label=_("Ways of meeting"), choices=MODALITY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    service_area = forms.CharField(
        label=_("Area you can travel to"),
        max_length=200,
        required=False,
        help_text=_("For example “North side and downtown”, or leave empty if you meet only by phone or video."),
    )
    caseload_limit = forms.IntegerField(
        label=_("Most people you support at once"),
        min_value=0,
        max_value=60,
        help_text=_(
            "Used so you are not suggested to more people than this. 0 means you are not taking on anyone new."
        ),
    )
    status = forms.ChoiceField(label=_("Status"), choices=PeerStatus.choices, widget=forms.RadioSelect)

    MAIN_FIELDS = ("bio", "languages", "specialties", "modalities", "service_area", "caseload_limit", "status")

    def __init__(self, *args: Any, terms: list[LivedExperienceTerm], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        initial = self.initial
        availability: dict[str, list[str]] = initial.get("availability") or {}
        shared = set(initial.get("shared_experiences") or [])
        for day, day_label in DAYS:
            for time, time_label in TIMES:
                self.fields[f"availability_{day}_{time}"] = forms.BooleanField(
                    label=gettext("%(day)s, %(time)s") % {"day": day_label, "time": time_label},
                    required=False,
                    initial=time in availability.get(day, []),
                )
        for term in terms:
            self.fields[f"term_{term.pk}"] = forms.BooleanField(
                label=term.label, required=False, initial=term.pk in shared
            )

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN_FIELDS]

    @property
    def times(self) -> list[Any]:
        return [label for _value, label in TIMES]

    def availability_rows(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(label, [self[f"availability_{day}_{time}"] for time, _t in TIMES]) for day, label in DAYS]

    def experience_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(label, [self[f"term_{t.pk}"] for t in terms]) for label, terms in _by_category(self.terms)]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        availability = {day: [time for time, _t in TIMES if data.get(f"availability_{day}_{time}")] for day, _d in DAYS}
        return {
            "bio": data.get("bio", "").strip(),
            "languages": list(data.get("languages", [])),
            "specialties": list(data.get("specialties", [])),
            "modalities": list(data.get("modalities", [])),
            "service_area": data.get("service_area", "").strip(),
            "availability": {day: times for day, times in availability.items() if times},
            "caseload_limit": data["caseload_limit"],
            "status": data["status"],
            "shared_experiences": [t for t in self.terms if data.get(f"term_{t.pk}")],
        }
