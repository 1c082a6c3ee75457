"""Staff forms for warm lines: the line, its weekly hours (one row per weekday, up to two periods,
no JavaScript needed) and a closure. Every check that matters is in ``warmline.lines``; these
forms only turn what was typed into values."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program
from alongside.groups.forms import ChoiceFromList
from alongside.warmline.hours import DAY_NAMES, periods
from alongside.warmline.models import Line, LineAudience
from alongside.web.forms import LANGUAGE_CHOICES

PHONE_ROWS = 3
PERIOD_ROWS = 2


class LineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.CharField(
        label=_("Web address name"),
        max_length=80,
        required=False,
        help_text=_("Lower-case letters, numbers and hyphens. Made from the name when left empty."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Public: what the line offers and who answers. Say that it is not a crisis line."),
    )
    program = ChoiceFromList(label=_("Program"), queryset=Program.objects.none(), required=False)
    audience = forms.ChoiceField(label=_("Who it is for"), choices=LineAudience.choices)
    languages = forms.MultipleChoiceField(
        label=_("Languages peer supporters answer in"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    chat_enabled = forms.BooleanField(label=_("Offer chat on the website"), required=False)
    max_chats_per_peer = forms.IntegerField(
        label=_("Chats one peer supporter may hold at once"), min_value=1, max_value=5, initial=2
    )
    is_public = forms.BooleanField(label=_("List the line publicly"), required=False, initial=True)
    is_active = forms.BooleanField(label=_("In service"), required=False, initial=True)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, is_active=True, offers_warmline=True
        ).order_by("name")
        names = dict(LANGUAGE_CHOICES)
        self.fields["languages"].choices = [  # type: ignore[attr-defined]
            (code, names.get(code, code)) for code in organisation.languages or ["en"]
        ]
        for n in range(1, PHONE_ROWS + 1):
            self.fields[f"phone_{n}_label"] = forms.CharField(
                label=_("Phone %(n)d: label") % {"n": n},
                max_length=60,
                required=False,
                help_text=_("For example “Call or text”.") if n == 1 else "",
            )
            self.fields[f"phone_{n}_number"] = forms.CharField(
                label=_("Phone %(n)d: number") % {"n": n},
                max_length=30,
                required=False,
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                help_text=_("A US number such as (207) 555-0100, or an international one starting with +.")
                if n == 1
                else "",
            )
            self.fields[f"phone_{n}_public"] = forms.BooleanField(
                label=_("Show phone %(n)d to the public") % {"n": n}, required=False, initial=True
            )

    @staticmethod
    def initial_for(line: Line) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(line, name)
            for name in (
                "name",
                "slug",
                "description",
                "program",
                "audience",
                "languages",
                "chat_enabled",
                "max_chats_per_peer",
                "is_public",
                "is_active",
            )
        }
        for n, phone in enumerate(line.phone_numbers or [], start=1):
            if n > PHONE_ROWS or not isinstance(phone, dict):
                break
            initial[f"phone_{n}_label"] = phone.get("label", "")
            initial[f"phone_{n}_number"] = phone.get("number", "")
            initial[f"phone_{n}_public"] = bool(phone.get("public", True))
        return initial

    def line_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        phones = []
        for n in range(1, PHONE_ROWS + 1):
            number = (data.get(f"phone_{n}_number") or "").strip()
            if number:
                phones.append(
                    {"label": data.get(f"phone_{n}_label") or "", "number": number, "public": data[f"phone_{n}_public"]}
                )
        return {
            "name": data["name"],
            "slug": data.get("slug") or "",
            "description": data.get("description") or "",
            "program": data.get("program"),
            "audience": data["audience"],
            "languages": list(data.get("languages") or []),
            "chat_enabled": data["chat_enabled"],
            "max_chats_per_peer": data["max_chats_per_peer"],
            "is_public": data["is_public"],
            "is_active": data["is_active"],
            "phone_numbers": phones,
        }


class HoursForm(forms.Form):
    """Seven days, each with two periods (more when the line already has more on a day): opens,
    closes, and "closes the next day"."""

    rows: int

    def __init__(self, *args: Any, line: Line | None = None, **kwargs: Any) -> None:
        if line is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(line)
        super().__init__(*args, **kwargs)
        # Two rows a day, or as many as the line already has on its busiest day (none is dropped).
        busiest = max((sum(1 for p in periods(line) if p.day == day) for day in range(7)), default=0) if line else 0
        self.rows = max(PERIOD_ROWS, busiest)
        for day in range(7):
            for n in range(1, self.rows + 1):
                prefix = f"d{day}_{n}"
                words = {"day": DAY_NAMES[day], "n": n}
                self.fields[f"{prefix}_opens"] = forms.TimeField(
                    label=_("%(day)s, period %(n)d: opens") % words,
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
                self.fields[f"{prefix}_closes"] = forms.TimeField(
                    label=_("%(day)s, period %(n)d: closes") % words,
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
                self.fields[f"{prefix}_overnight"] = forms.BooleanField(
                    label=_("%(day)s, period %(n)d closes the next day") % words, required=False
                )

    @staticmethod
    def initial_for(line: Line) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        counts = dict.fromkeys(range(7), 0)
        for period in periods(line):
            counts[period.day] += 1
            n = counts[period.day]
            initial[f"d{period.day}_{n}_opens"] = period.opens
            initial[f"d{period.day}_{n}_closes"] = period.closes
            initial[f"d{period.day}_{n}_overnight"] = period.overnight
        return initial

    def days(self) -> list[tuple[Any, list[tuple[Any, Any, Any]]]]:
        """For the template: (day name, [(opens, closes, overnight) bound fields]) Monday first."""
        return [
            (
                DAY_NAMES[day],
                [
                    (self[f"d{day}_{n}_opens"], self[f"d{day}_{n}_closes"], self[f"d{day}_{n}_overnight"])
                    for n in range(1, self.rows + 1)
                ],
            )
            for day in range(7)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for day in range(7):
            for n in range(1, self.rows + 1):
                prefix = f"d{day}_{n}"
                opens, closes = cleaned.get(f"{prefix}_opens"), cleaned.get(f"{prefix}_closes")
                if f"{prefix}_opens" in self.errors or f"{prefix}_closes" in self.errors:
                    continue
                if (opens is None) != (closes is None):
                    self.add_error(
                        f"{prefix}_opens" if opens is None else f"{prefix}_closes",
                        _("%(day)s: enter both the opening and the closing time, or neither.")
                        % {"day": DAY_NAMES[day]},
                    )
        return cleaned

    def periods(self) -> list[dict[str, Any]]:
        found = []
        for day in range(7):
            for n in range(1, self.rows + 1):
                prefix = f"d{day}_{n}"
                opens, closes = self.cleaned_data.get(f"{prefix}_opens"), self.cleaned_data.get(f"{prefix}_closes")
                if opens is not None and closes is not None:
                    found.append(
                        {
                            "day": day,
                            "opens": opens,
                            "closes": closes,
                            "overnight": bool(self.cleaned_data.get(f"{prefix}_overnight")),
                        }
                    )
        return found


class ClosureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason shown to the public"),
        max_length=120,
        help_text=_("A few words, such as “Thanksgiving” or “Staff training”."),
    )
    starts_on = forms.DateField(label=_("First day closed"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Last day closed"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty when it is one day."),
    )
    start_time = forms.TimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Only for part of a day: leave both times empty to close all day."),
    )
    end_time = forms.TimeField(
        label=_("Opens again at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
