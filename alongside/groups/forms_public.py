"""Public forms of a group: registering (or joining the waitlist) and the anonymous feedback."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.groups.models import Group

# The honeypot's name: a field people never see and bots like to fill.
HONEYPOT = "website"


class RegisterForm(forms.Form):
    first_name = forms.CharField(
        label=_("Your first name"),
        max_length=60,
        help_text=_("Or a nickname. No last name needed: the group uses first names."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,
        help_text=_("An email or a phone number, so the group can reach you. We email your own link here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    age = forms.IntegerField(label=_("Your age"), min_value=5, max_value=120, required=False)
    guardian_name = forms.CharField(label=_("A parent or guardian's name"), max_length=120, required=False)
    guardian_contact = forms.CharField(label=_("Their phone or email"), max_length=254, required=False)
    guardian_consent = forms.BooleanField(
        label=_("My parent or guardian agrees that I join this group"), required=False
    )
    agreement_acknowledged = forms.BooleanField(
        label=_("I have read the group agreement"),
        required=False,
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, group: Group, has_agreement: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        youth = group.audience == "youth"
        if not youth:
            for name in ("age", "guardian_name", "guardian_contact", "guardian_consent"):
                del self.fields[name]
        else:
            self.fields["age"].help_text = _("We ask because this group is for certain ages.")
            for name in ("guardian_name", "guardian_contact", "guardian_consent"):
                self.fields[name].condition = _("needed if you are under 18")  # type: ignore[attr-defined]
        if not has_agreement:
            del self.fields["agreement_acknowledged"]

    @property
    def shown_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != HONEYPOT]

    @property
    def is_bot(self) -> bool:
        return bool(str(self.data.get(HONEYPOT, "")).strip())

    def clean_first_name(self) -> str:
        value = str(self.cleaned_data["first_name"]).strip()
        if not value:
            raise forms.ValidationError(_("Give a first name or a nickname."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reachable = str(data.get("email") or "").strip() or str(data.get("phone") or "").strip()
        if not reachable and "email" not in self.errors and "phone" not in self.errors:
            self.add_error("email", _("Give an email address or a phone number, so the group can reach you."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "age": data.get("age"),
            "guardian_name": data.get("guardian_name") or "",
            "guardian_contact": data.get("guardian_contact") or "",
            "guardian_consent": bool(data.get("guardian_consent")),
            "agreement_acknowledged": bool(data.get("agreement_acknowledged")),
        }


RATING_CHOICES = [
    ("1", _("1 — not helpful")),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", _("5 — very helpful")),
]
SAFE_CHOICES = [("yes", _("Yes")), ("no", _("No")), ("", _("I'd rather not say"))]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was this session for you?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    felt_safe = forms.ChoiceField(
        label=_("I felt safe and respected"), choices=SAFE_CHOICES, required=False, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything else you would like the facilitators to know"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Please leave out names. Stored encrypted; only the organisation's group leads read it."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "rating": int(data["rating"]),
            "felt_safe": {"yes": True, "no": False}.get(data.get("felt_safe") or ""),
            "comment": (data.get("comment") or "").strip(),
        }
