"""Forms for care-team referrals: partners, the referral form, the board's filters.

Forms only turn posted text into the services' arguments; the rules live in ``people/referrals.py``
(which checks them again).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import User
from alongside.people.forms.records import date_input
from alongside.people.models import (
    Consent,
    Participant,
    PartnerKind,
    PartnerOrganisation,
    ReferralStatus,
    ReferralUrgency,
)
from alongside.people.referrals import OPEN_STATUSES, REASON_MAX_LENGTH


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


class UUIDChoiceField(forms.ModelChoiceField):
    """A choice by id where an id that is not a UUID is simply not one of the choices (the same
    message as a missing or foreign one, not a note about UUIDs)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _is_uuid(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class UserChoiceField(UUIDChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and any(not _is_uuid(v) for v in value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class PartnerChoiceField(UUIDChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ConsentChoiceField(UUIDChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(
            _("Names %(recipient)s — %(how)s, given %(day)s")
            % {"recipient": obj.recipient, "how": obj.get_method_display(), "day": obj.granted_at.strftime("%Y-%m-%d")}
        )


# --- Partners ------------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("As the team is known, for example “Bayview Hospital, inpatient unit”."),
        error_messages={"required": _("Enter the partner's name.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=PartnerKind.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the listed kinds."), "required": _("Choose a kind.")},
    )
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        help_text=_("Where the team can be reached about referrals. Never used for updates about a person."),
        error_messages={"invalid": _("Enter an email address like team@example.org, or leave it empty.")},
    )
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Only active partners can be chosen on new referrals. Past referrals keep their partner."),
    )
    referrers = UserMultipleChoiceField(
        label=_("Referrer accounts who refer for this partner"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "People with the referrer role in this organisation. When they refer someone, this partner is "
            "filled in for them. Invite a clinician as a referrer on the staff page first."
        ),
        error_messages={
            "invalid_choice": _("Choose people who hold the referrer role in this organisation."),
            "invalid_pk_value": _("Choose people who hold the referrer role in this organisation."),
        },
    )

    def __init__(self, *args: Any, referrers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referrers"].queryset = referrers  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        value = str(self.cleaned_data.get("name", "")).strip()
        if not value:
            raise forms.ValidationError(_("Enter the partner's name."))
        return value

    def partner_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "referrers"}


# --- The referral form ---------------------------------------------------------------------------


class ReferralForm(forms.Form):
    """One form for coordinators and referrers.

    ``participant``: the person already chosen (coordinators choose from their record scope; the
    choice is carried in a hidden field and checked against that scope again); without one the
    new-person fields are asked. ``partners``: the partners to choose from (``None``: the partner
    is fixed, e.g. a referrer's only partner). ``referrers``: the referrer accounts to choose from
    (``None``: the referrer is the person filling it in). ``consents``: the person's current
    consents to share updates, when a known person was chosen.
    """

    participant = UUIDChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose the person again: that record cannot be found.")},
    )
    preferred_name = forms.CharField(
        label=_("Name they would like us to use"),
        max_length=100,
        help_text=_("A first name or a nickname is enough."),
        error_messages={"required": _("Enter the name the person would like us to use.")},
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.org, or leave it empty.")},
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=date_input(),
        help_text=_("Only so we offer the right programs and know who may give consent for a young person."),
    )
    partner = PartnerChoiceField(
        label=_("Referring partner"),
        queryset=PartnerOrganisation.objects.none(),
        required=False,
        empty_label=_("No partner organisation"),
        error_messages={"invalid_choice": _("Choose one of the listed partners.")},
    )
    referrer = UserChoiceField(
        label=_("Referrer"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No referrer account"),
        help_text=_("The clinician who referred them, if they have a referrer account here."),
        error_messages={"invalid_choice": _("Choose one of the listed referrers.")},
    )
    reason = forms.CharField(
        label=_("Why are you referring them?"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What they hope peer support can help with, and anything that helps the first contact go well. "
            "Stored encrypted and seen only by the coordinators who handle referrals; every view is logged."
        ),
        error_messages={"required": _("Say why the person is being referred.")},
    )
    discharge_date = forms.DateField(
        label=_("Inpatient discharge date"),
        required=False,
        widget=date_input(),
        help_text=_(
            "If they are leaving a hospital stay. We aim to be in touch within 7 days of this date, and again "
            "within 30 days."
        ),
        error_messages={"invalid": _("Enter the discharge date as a date, for example 2026-03-02.")},
    )
    urgency = forms.ChoiceField(
        label=_("How soon should we reach out?"),
        choices=ReferralUrgency.choices,
        initial=ReferralUrgency.ROUTINE,
        widget=forms.RadioSelect,
        help_text=_(
            "We always aim for a first contact attempt within 48 hours. This is not a crisis service: if someone "
            "is in danger now, call 988 or 911."
        ),
        error_messages={"invalid_choice": _("Choose one of the listed urgencies."), "required": _("Choose one.")},
    )
    consent_attested = forms.BooleanField(
        label=_("The person agreed to be referred to us"),
        help_text=_("A referral is made with the person's agreement, never without it."),
        error_messages={"required": _("Confirm that the person agreed to this referral.")},
    )
    consent = ConsentChoiceField(
        label=_("Their consent to share updates with the referrer"),
        queryset=Consent.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        empty_label=_("None of these"),
        help_text=_("Updates go back only to the person or team the consent names, and only while it stands."),
        error_messages={"invalid_choice": _("Choose one of this person's current consents, or none.")},
    )
    consent_document = forms.FileField(
        label=_("Signed consent form for sharing updates"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        help_text=_(
            "Only if the person signed a form agreeing that we may tell the referrer how it is going. A PDF, "
            "PNG or JPEG, up to 5 MB. Without it we share nothing back; the person can agree later."
        ),
    )

    NEW_PERSON = ("preferred_name", "email", "phone", "date_of_birth")

    def __init__(
        self,
        *args: Any,
        participant: Participant | None,
        participants: QuerySet[Participant] | None,
        partners: QuerySet[PartnerOrganisation] | None,
        referrers: QuerySet[User] | None,
        consents: QuerySet[Consent] | None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("urgency", ReferralUrgency.ROUTINE)
        if participant is not None:
            initial["participant"] = participant.pk
        super().__init__(*args, **kwargs)
        self.person = participant
        if participants is None or participant is None:
            del self.fields["participant"]
        else:
            self.fields["participant"].queryset = participants  # type: ignore[attr-defined]
        if participant is not None:
            for name in self.NEW_PERSON:
                del self.fields[name]
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        if referrers is None:
            del self.fields["referrer"]
        else:
            self.fields["referrer"].queryset = referrers  # type: ignore[attr-defined]
        if consents is None:
            del self.fields["consent"]
        else:
            self.fields["consent"].queryset = consents  # type: ignore[attr-defined]
            self.fields["consent_document"].help_text = _(
                "Or upload a new signed form (a PDF, PNG or JPEG, up to 5 MB), if the person agreed that we may "
                "tell the referrer how it is going. Without either we share nothing back."
            )
        conditions = {"email": _("email or phone needed"), "phone": _("email or phone needed")}
        for name, condition in conditions.items():
            if name in self.fields:
                self.fields[name].condition = condition  # type: ignore[attr-defined]

    def clean_preferred_name(self) -> str:
        value = str(self.cleaned_data.get("preferred_name", "")).strip()
        if not value:
            raise forms.ValidationError(_("Enter the name the person would like us to use."))
        return value

    def clean_email(self) -> str:
        return str(self.cleaned_data.get("email", "")).strip().lower()

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data.get("date_of_birth")
        if value is not None and (value > timezone.localdate() or value.year < 1900):
            raise forms.ValidationError(_("Enter a date of birth in the past, or leave it empty."))
        return value

    def clean_discharge_date(self) -> Any:
        value = self.cleaned_data.get("discharge_date")
        today = timezone.localdate()
        if value is not None and not today - timedelta(days=365) <= value <= today + timedelta(days=90):
            raise forms.ValidationError(_("Enter a discharge date within the last year or the next 90 days."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_way_to_reach = not data.get("email") and not str(data.get("phone", "")).strip()
        if "preferred_name" in self.fields and no_way_to_reach and "email" not in self.errors:
            self.add_error("email", _("Give an email address or a phone number, so we can reach them."))
        if data.get("consent") is not None and data.get("consent_document"):
            self.add_error("consent_document", _("Choose a recorded consent or upload a signed form, not both."))
        return data

    @property
    def person_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.NEW_PERSON if name in self.fields]

    @property
    def referral_fields(self) -> list[forms.BoundField]:
        names = ("partner", "referrer", "reason", "discharge_date", "urgency")
        return [self[name] for name in names if name in self.fields]

    @property
    def consent_fields(self) -> list[forms.BoundField]:
        names = ("consent_attested", "consent", "consent_document")
        return [self[name] for name in names if name in self.fields]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "reason": data["reason"],
            "urgency": data["urgency"],
            "discharge_date": data.get("discharge_date"),
            "consent_attested": bool(data.get("consent_attested")),
            "consent": data.get("consent"),
            "consent_document": data.get("consent_document") or None,
        }
        if self.person is not None:
            kwargs["participant"] = self.person
        else:
            kwargs["new_person"] = {name: data.get(name) for name in self.NEW_PERSON}
        if "partner" in self.fields:
            kwargs["partner"] = data.get("partner")
        if "referrer" in self.fields:
            kwargs["referrer"] = data.get("referrer")
        return kwargs


# --- The board's filters -------------------------------------------------------------------------

PERIODS = [(90, _("Last 90 days")), (180, _("Last 180 days")), (365, _("Last 12 months"))]


class BoardFilterForm(forms.Form):
    """GET filters; anything unknown is ignored with a note rather than refused."""

    status = forms.ChoiceField(
        label=_("Step"),
        required=False,
        choices=[("", _("All open referrals"))] + [(s, ReferralStatus(s).label) for s in OPEN_STATUSES],
    )
    partner = PartnerChoiceField(
        label=_("Partner"), queryset=PartnerOrganisation.objects.none(), required=False, empty_label=_("All partners")
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any urgency"))] + list(ReferralUrgency.choices)
    )
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    period = forms.TypedChoiceField(
        label=_("Follow-up rates for"), required=False, coerce=int, choices=PERIODS, empty_value=None
    )

    def __init__(self, *args: Any, partners: QuerySet[PartnerOrganisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
