"""The "How are you doing?" form: the capacity answer (required), how you are (optional), a
private note (optional) and whether to share the capacity answer. Each says who will see it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.workforce.models import NOTE_MAX_LENGTH, Capacity, Mood


class CheckInForm(forms.Form):
    capacity = forms.ChoiceField(
        label=_("How much room do you have right now?"),
        choices=Capacity.choices,
        widget=forms.RadioSelect,
        help_text=_("Shared with your supervisor and with matching only if you tick “share” below."),
        error_messages={
            "required": _("Choose how much room you have: room for more, about full, or stretched."),
            "invalid_choice": _("Choose how much room you have: room for more, about full, or stretched."),
        },
    )
    mood = forms.TypedChoiceField(
        label=_("How are you doing?"),
        choices=[("", _("Rather not say")), *Mood.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Only you see this. It is here so you can look back at how things have been."),
        error_messages={"invalid_choice": _("Choose one of the five answers, or leave it out.")},
    )
    note = forms.CharField(
        label=_("A private note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only you see this: not your supervisor, not coordinators, not admins. It is stored encrypted."),
        error_messages={"max_length": _("Keep the note to %(limit_value)d characters or fewer.")},
    )
    shared = forms.BooleanField(
        label=_("Share how much room I have with my supervisor and with matching"),
        required=False,
        help_text=_(
            "For 14 days, your supervisor sees this answer (never your note or how you are doing), and "
            "while it says you are stretched you are suggested less often for new people. The people "
            "you support are never told."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mood"].initial = ""
