"""Staff forms for phone routing: a line's phone settings and a staff member's own number. Every
check that matters is in ``warmline.telephony.calls``; these forms only turn what was typed into
values. The auth token is write-only: never shown back, blank keeps the stored one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.warmline.models import PhoneProvider, RingMode, Unanswered
from alongside.warmline.models.telephony import RING_TIMEOUT_MAX, RING_TIMEOUT_MIN
from alongside.warmline.telephony.calls import HOLD_MAX_LENGTH, MESSAGE_MAX_LENGTH, SID_MAX_LENGTH, TOKEN_MAX_LENGTH


class LinePhoneForm(forms.Form):
    provider = forms.ChoiceField(label=_("Phone provider"), choices=PhoneProvider.choices)
    account_sid = forms.CharField(
        label=_("Account SID"),
        max_length=SID_MAX_LENGTH,
        help_text=_("From the provider's console. It is not secret."),
    )
    auth_token = forms.CharField(
        label=_("Auth token"),
        max_length=TOKEN_MAX_LENGTH,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Used to check that each call really comes from the provider. Stored encrypted and never "
            "shown again: leave blank to keep the saved one."
        ),
    )
    ring_mode = forms.ChoiceField(label=_("How phones ring"), choices=RingMode.choices, widget=forms.RadioSelect)
    ring_timeout = forms.IntegerField(
        label=_("Seconds to ring each time"),
        min_value=RING_TIMEOUT_MIN,
        max_value=RING_TIMEOUT_MAX,
        initial=20,
    )
    hold_message = forms.CharField(
        label=_("What callers hear while the phones ring"),
        max_length=HOLD_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    unanswered = forms.ChoiceField(
        label=_("When nobody can answer or the line is closed"), choices=Unanswered.choices, widget=forms.RadioSelect
    )
    closed_message = forms.CharField(
        label=_("Message when nobody can answer"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("It must keep your crisis options (988 by default): this is what a caller hears when no peer can."),
    )
    show_caller_numbers = forms.BooleanField(
        label=_("Show callers' numbers to peer supporters"),
        required=False,
        help_text=_(
            "Off by default: peers see that a call came in, not who called. When off, numbers are kept "
            "only as a code that tells a first-time caller from a repeat one."
        ),
    )
    is_active = forms.BooleanField(label=_("Answer this line's calls through Alongside"), required=False, initial=True)

    def settings_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StaffPhoneForm(forms.Form):
    number = forms.CharField(
        label=_("The phone that rings for you"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_(
            "Only used to ring you while you are on shift. Staff who manage lines cannot see it. Leave "
            "empty to remove it."
        ),
    )
    ring_on_shift = forms.BooleanField(label=_("Ring me while I am on shift"), required=False, initial=True)
