"""The public "reach out" form: a first name and one way to reach the person; the rest optional."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.people.models import ContactMethod

YES_NO = [("yes", _("Yes")), ("no", _("No"))]

LOOKING_FOR_CHOICES = [
    ("mentorship", _("One-on-one support from a peer supporter")),
    ("groups", _("A peer support group")),
    ("warmline", _("Someone to talk to on the warm line")),
]

# The honeypot's name: a field people never see and bots like to fill.
HONEYPOT = "website"


class SelfReferralForm(forms.Form):
    preferred_name = forms.CharField(
        label=_("Your first name"),
        max_length=100,
        help_text=_("Or any name you would like us to use. No last name needed."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("An email address or a phone number, so we can reach you."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_contact = forms.ChoiceField(
        label=_("Best way to reach you"), choices=ContactMethod.choices, required=False, widget=forms.RadioSelect
    )
    safe_to_voicemail = forms.ChoiceField(
        label=_("Is it safe for us to leave you a voicemail?"),
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("We ask so we never put you at risk. If you leave this empty, we will not leave one."),
    )
    safe_to_text = forms.ChoiceField(
        label=_("Is it safe for us to send you a text message?"),
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("If you leave this empty, we will not text you."),
    )
    looking_for = forms.MultipleChoiceField(
        label=_("What are you looking for?"),
        choices=LOOKING_FOR_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose any that fit, or none if you are not sure yet."),
    )
    message = forms.CharField(
        label=_("Anything you’d like us to know"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept private: stored encrypted and read only by the team members who arrange support."),
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    VISIBLE = (
        "preferred_name",
        "email",
        "phone",
        "preferred_contact",
        "safe_to_voicemail",
        "safe_to_text",
        "looking_for",
        "message",
    )

    @property
    def shown_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.VISIBLE]

    @property
    def is_bot(self) -> bool:
        return bool(str(self.data.get(HONEYPOT, "")).strip())

    def clean_preferred_name(self) -> str:
        value = str(self.cleaned_data["preferred_name"]).strip()
        if not value:
            raise forms.ValidationError(_("Tell us a name we can call you."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reachable = str(data.get("email") or "").strip() or str(data.get("phone") or "").strip()
        if not reachable and "email" not in self.errors:
            self.add_error("email", _("Give us an email address or a phone number, so we can reach you."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        looking = set(data.get("looking_for") or [])

        def yes_no(value: str) -> bool | None:
            return {"yes": True, "no": False}.get(value)

        return {
            "preferred_name": data["preferred_name"],
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "message": data.get("message") or "",
            "preferred_contact": data.get("preferred_contact") or "",
            "safe_to_voicemail": yes_no(data.get("safe_to_voicemail") or ""),
            "safe_to_text": yes_no(data.get("safe_to_text") or ""),
            "looking_for_mentorship": "mentorship" in looking,
            "looking_for_groups": "groups" in looking,
            "looking_for_warmline": "warmline" in looking,
        }
