"""Forms of the live chat: before the chat, feedback, and the peer's close and transfer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.warmline import chat


class ChatStartForm(forms.Form):
    alias = forms.CharField(
        label=_("A first name or a nickname"),
        required=False,
        max_length=chat.ALIAS_MAX,
        help_text=_("So the peer supporter knows what to call you. You do not have to give your real name."),
    )
    first_line = forms.CharField(
        label=_("What is on your mind?"),
        max_length=chat.FIRST_LINE_MAX,
        help_text=_("One line is enough. It helps the peer supporter get ready for you."),
        error_messages={"required": _("Write a few words about what is on your mind.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    terms = forms.BooleanField(
        label=_("I understand this is peer support, not a crisis or emergency service, and I agree to the chat terms."),
        error_messages={"required": _("Please read the chat terms and tick the box to say you agree.")},
    )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was this conversation?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 is not helpful, 5 is very helpful."),
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=chat.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anonymous. It helps the peer supporters and the organisation improve."),
    )


class CloseForm(forms.Form):
    closing_message = forms.CharField(
        label=_("A last message to the person"),
        required=False,
        max_length=chat.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferForm(forms.Form):
    to_user = forms.ChoiceField(
        label=_("Hand the conversation to"), error_messages={"required": _("Choose who takes over.")}
    )

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        field = self.fields["to_user"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(p.pk), p.display_name) for p in people]
        field.error_messages["invalid_choice"] = _("Choose someone who is on shift now.")
