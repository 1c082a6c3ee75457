"""Forms for participants' rights: the erasure request. (The private-link buttons carry no fields.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label=_("The person asked for their record to be erased"),
        error_messages={"required": _("Tick this box to confirm that the person asked for their record to be erased.")},
    )
    override_retention = forms.BooleanField(
        required=False,
        label=_("There is no legal duty to keep this record"),
        help_text=_(
            "Tick this only if you are sure no law, contract or funder requires the organisation to keep this "
            "record for its retention period. The record is then anonymised now, and the access log notes that "
            "you confirmed it."
        ),
    )

    def __init__(self, *args: Any, name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if name:
            self.fields["confirm"].label = gettext("%(name)s asked for their record to be erased") % {"name": name}
            self.fields["confirm"].error_messages["required"] = gettext(
                "Tick this box to confirm that %(name)s asked for their record to be erased."
            ) % {"name": name}
