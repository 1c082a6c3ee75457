"""Forms for staff pages about participant records: the intake form, status, peer, programs, merge.

Forms only check input; every write goes through ``people.services`` (which re-checks the rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program, User
from alongside.accounts.selectors import programs_for
from alongside.people.models import AgeBand, ClosedReason, ContactMethod, Participant, ParticipantStatus
from alongside.people.selectors import active_peers
from alongside.people.services import PARTICIPANT_FIELDS
from alongside.web.forms import LANGUAGE_CHOICES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# "Not asked yet" is a real answer: staff must never assume it is safe to leave a message.
SAFETY_CHOICES = [("True", _("Yes")), ("False", _("No")), ("", _("Not asked yet"))]

PEER_INVALID = _("Choose a peer supporter of this organisation.")


def _safety_field(label: StrOrPromise, why: StrOrPromise) -> forms.NullBooleanField:
    return forms.NullBooleanField(
        label=label, required=False, widget=forms.RadioSelect(choices=SAFETY_CHOICES), help_text=why
    )


class PeerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ParticipantForm(forms.Form):
    """The staff intake form. Only the preferred name is required; every sensitive question says why."""

    preferred_name = forms.CharField(
        label=_("Name they would like us to use"),
        max_length=100,
        help_text=_("A first name, a nickname or a pseudonym is fine."),
        error_messages={"required": _("Enter the name this person would like us to use.")},
    )
    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=200,
        required=False,
        help_text=_("Only if a program or funder needs it. Most people never need to give it."),
    )
    pronouns = forms.CharField(
        label=_("Pronouns"), max_length=50, required=False, help_text=_("So everyone here addresses them as they wish.")
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Asked only to offer the right programs (some are for young people) and to know who may give consent. "
            "An age range below is enough."
        ),
    )
    age_band = forms.ChoiceField(
        label=_("Or an age range"),
        required=False,
        choices=[("", _("Not given"))] + list(AgeBand.choices),
        help_text=_("If they prefer not to give a date of birth."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages they would like to use"),
        required=False,
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.org, or leave it empty.")},
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    preferred_contact = forms.ChoiceField(
        label=_("Best way to reach them"),
        required=False,
        choices=[("", _("No preference given"))] + list(ContactMethod.choices),
    )
    safe_to_voicemail = _safety_field(
        _("Is it safe to leave a voicemail?"),
        _("Someone else may hear messages on their phone. Ask, so that contacting them never puts them at risk."),
    )
    safe_to_text = _safety_field(
        _("Is it safe to send text messages?"),
        _("Someone else may read their messages. Ask before texting."),
    )
    safe_to_email = _safety_field(
        _("Is it safe to send email?"),
        _("Someone else may read their email. Ask before writing to them."),
    )
    postcode = forms.CharField(
        label=_("ZIP or postcode"),
        max_length=20,
        required=False,
        help_text=_("Only to suggest groups and places near them."),
    )
    accessibility_needs = forms.CharField(
        label=_("Accessibility needs"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything that helps them take part: step-free access, captions, an interpreter, large print."),
    )
    looking_for_mentorship = forms.BooleanField(label=_("One-on-one mentorship with a peer supporter"), required=False)
    looking_for_groups = forms.BooleanField(label=_("Peer support groups"), required=False)
    looking_for_warmline = forms.BooleanField(label=_("Someone to talk to on the warm line"), required=False)
    notes = forms.CharField(
        label=_("Private notes"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Stored encrypted. Seen only by staff who can open this record, and every view is logged. "
            "Write what helps support them, in words you would be comfortable with them reading."
        ),
    )
    part2 = forms.BooleanField(
        label=_("This record is covered by 42 CFR Part 2"),
        required=False,
        help_text=_(
            "Tick this only if the record belongs to a federally assisted substance-use program. US federal law "
            "(42 CFR Part 2) then requires their written consent naming who may receive information, and a "
            "notice against redisclosure on everything shared."
        ),
    )
    assigned_peer = PeerChoiceField(
        label=_("Peer supporter"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Not chosen yet"),
        error_messages={"invalid_choice": PEER_INVALID},
        help_text=_("Offer the person a choice where you can."),
    )

    # Fieldsets of the page, in order: (legend, field names).
    GROUPS = [
        (_("About them"), ["preferred_name", "legal_name", "pronouns", "date_of_birth", "age_band", "languages"]),
        (
            _("How to reach them safely"),
            ["email", "phone", "preferred_contact", "safe_to_voicemail", "safe_to_text", "safe_to_email"],
        ),
        (_("Where and how they take part"), ["postcode", "accessibility_needs"]),
        (_("What they are looking for"), ["looking_for_mentorship", "looking_for_groups", "looking_for_warmline"]),
        (_("Support and record-keeping"), ["assigned_peer", "notes", "part2"]),
    ]

    def __init__(self, *args: Any, organisation: Organisation, with_peer: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_peer:
            self.fields["assigned_peer"].queryset = active_peers(organisation)  # type: ignore[attr-defined]
        else:
            # On the edit page the peer is changed with its own form on the profile (an audited step).
            del self.fields["assigned_peer"]

    @staticmethod
    def initial_for(participant: Participant) -> dict[str, Any]:
        return {name: getattr(participant, name) for name in PARTICIPANT_FIELDS}

    def clean_preferred_name(self) -> str:
        value = str(self.cleaned_data.get("preferred_name", "")).strip()
        if not value:
            raise forms.ValidationError(_("Enter the name this person would like us to use."))
        return value

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data.get("date_of_birth")
        if value is not None and (value > timezone.localdate() or value.year < 1900):
            raise forms.ValidationError(_("Enter a date of birth in the past, or leave it empty."))
        return value

    def clean_email(self) -> str:
        return str(self.cleaned_data.get("email", "")).strip().lower()

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(legend), [self[name] for name in names if name in self.fields]) for legend, names in self.GROUPS]

    def participant_fields(self) -> dict[str, Any]:
        """The cleaned values the services take (everything but the peer)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "assigned_peer"}


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ParticipantStatus.choices,
        error_messages={"invalid_choice": _("Choose one of the listed statuses.")},
    )
    closed_reason = forms.ChoiceField(
        label=_("Reason for closing"),
        required=False,
        choices=[("", _("Not closing"))] + [c for c in ClosedReason.choices if c[0] != ClosedReason.MERGED],
        help_text=_("Needed only when closing the record."),
        error_messages={"invalid_choice": _("Choose one of the listed reasons.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ParticipantStatus.CLOSED and not data.get("closed_reason"):
            self.add_error("closed_reason", _("Say why the record is being closed."))
        if data.get("status") != ParticipantStatus.CLOSED:
            data["closed_reason"] = ""
        return data


class AssignPeerForm(forms.Form):
    peer = PeerChoiceField(
        label=_("Peer supporter"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No one yet"),
        error_messages={"invalid_choice": PEER_INVALID},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peer"].queryset = active_peers(organisation)  # type: ignore[attr-defined]


class ProgramChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class EnrolForm(forms.Form):
    program = ProgramChoiceField(
        label=_("Program"),
        queryset=Program.objects.none(),
        empty_label=_("Choose a program"),
        error_messages={"invalid_choice": _("Choose an active program of this organisation.")},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs_for(organisation)  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    """Which other record to fold into this one: a suggested duplicate, or any record by its id."""

    suggested = forms.ChoiceField(label=_("Possible duplicates"), required=False, widget=forms.RadioSelect, choices=[])
    other_id = forms.CharField(
        label=_("Or another record, by its record id"),
        required=False,
        max_length=64,
        help_text=_("The record id is shown at the bottom of each profile."),
    )
    confirm = forms.BooleanField(
        label=_("I have checked that both records are the same person"),
        error_messages={"required": _("Confirm that both records are the same person.")},
    )

    def __init__(self, *args: Any, duplicates: list[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suggested"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.preferred_name} ({p.get_status_display()}, {p.created_at:%Y-%m-%d})") for p in duplicates
        ]
        if not duplicates:
            del self.fields["suggested"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        other = str(data.get("other_id") or "").strip() or str(data.get("suggested") or "")
        if not other:
            raise forms.ValidationError(_("Choose the record to merge into this one."))
        data["other"] = other
        return data
