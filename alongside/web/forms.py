from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program, Site, validate_timezone
from alongside.directory.maps import validate_tile_url

LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("ar", _("Arabic")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
    ("ko", _("Korean")),
    ("ru", _("Russian")),
    ("tl", _("Tagalog")),
    ("asl", _("American Sign Language")),
]


class ProgramForm(forms.ModelForm):
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "offers_mentorship",
            "offers_groups",
            "offers_warmline",
            "serves_adults",
            "serves_youth",
            "serves_families",
            "is_public",
            "is_active",
        ]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["sites"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, is_active=True
        )
        if self.instance.pk:
            self.fields["sites"].initial = list(self.instance.sites.all())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f) for f in ("offers_mentorship", "offers_groups", "offers_warmline")):
            raise forms.ValidationError(_("Choose at least one kind of support this program offers."))
        if not any(data.get(f) for f in ("serves_adults", "serves_youth", "serves_families")):
            raise forms.ValidationError(_("Choose at least one group of people this program serves."))
        name = data.get("name")
        if name:
            clash = Program.objects.filter(organisation=self.organisation, name__iexact=name)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", _("Another program here already has this name."))
        return data

    def validate_unique(self) -> None:
        # Uniqueness is checked in clean() within the organisation; the model form's own check
        # would need the organisation field, which is never user-editable.
        pass


class SiteForm(forms.ModelForm):
    country = forms.CharField(
        label=_("Country code"), max_length=8, initial="US", help_text=_("Two-letter code, for example US.")
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postcode",
            "country",
            "latitude",
            "longitude",
            "accessibility",
            "is_public",
            "is_active",
        ]
        help_texts = {
            "latitude": _(
                "Decimal degrees, for example 42.3601. Used for “near me” search; no map service is contacted."
            ),
            "longitude": _("Decimal degrees, for example -71.0589."),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_country(self) -> str:
        value = str(self.cleaned_data.get("country", "")).strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise forms.ValidationError(_("Use a two-letter country code, such as US."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("name")
        if name:
            clash = Site.objects.filter(organisation=self.organisation, name__iexact=name)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", _("Another site here already has this name."))
        return data

    def validate_unique(self) -> None:
        pass


CRISIS_KINDS = {"call", "text", "chat", "emergency", "other"}


class OrganisationSettingsForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    description = forms.CharField(
        label=_("Public description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    timezone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("For example America/Chicago."))
    languages = forms.MultipleChoiceField(
        label=_("Languages offered"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    crisis_options = forms.CharField(
        label=_("Crisis options shown on every public page"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One per line: kind | label | number or web address. Kinds: call, text, chat, emergency, other. "
            "For example: call | Call or text 988 | 988"
        ),
    )
    quick_exit_url = forms.URLField(
        assume_scheme="https",
        label=_("Quick exit destination"),
        help_text=_("A neutral site the quick exit button opens."),
    )
    map_tile_url = forms.CharField(
        label=_("Map tile server"),
        max_length=300,
        required=False,
        help_text=_(
            "Leave blank for no map. To show venues on a map, enter a tile address with {z}, {x} and {y} "
            "(and {s} if the server uses a, b, c subdomains), for example "
            "https://tiles.example.org/{z}/{x}/{y}.png. Visitors' browsers will request map images from "
            "that server when they choose to show the map, so it learns their IP address: choose a server "
            "you trust."
        ),
    )
    map_attribution = forms.CharField(
        label=_("Map credit"),
        max_length=200,
        required=False,
        help_text=_(
            "Required with a tile server: the credit its terms ask for, as plain text, for example "
            "© OpenStreetMap contributors."
        ),
    )
    retention_notes_days = forms.IntegerField(
        label=_("Keep contact and session notes for (days)"), min_value=30, max_value=18250
    )
    retention_transcripts_days = forms.IntegerField(
        label=_("Keep warm-line transcripts for (days)"), min_value=1, max_value=18250
    )
    retention_closed_records_days = forms.IntegerField(
        label=_("Keep closed participant records for (days)"), min_value=30, max_value=18250
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["map_attribution"].condition = _("needed with a tile server")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(organisation: Organisation) -> dict[str, Any]:
        return {
            "name": organisation.name,
            "description": organisation.description,
            "timezone": organisation.timezone,
            "languages": organisation.languages,
            "crisis_options": "\n".join(
                f"{o['kind']} | {o['label']} | {o['value']}" for o in organisation.crisis_options
            ),
            "quick_exit_url": organisation.quick_exit_url,
            "map_tile_url": organisation.map_tile_url,
            "map_attribution": organisation.map_attribution,
            "retention_notes_days": organisation.retention_notes_days,
            "retention_transcripts_days": organisation.retention_transcripts_days,
            "retention_closed_records_days": organisation.retention_closed_records_days,
        }

    def clean_timezone(self) -> str:
        value = str(self.cleaned_data["timezone"]).strip()
        try:
            validate_timezone(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return value

    def clean_map_tile_url(self) -> str:
        value = str(self.cleaned_data["map_tile_url"]).strip()
        try:
            validate_tile_url(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return value

    def clean_map_attribution(self) -> str:
        return " ".join(str(self.cleaned_data["map_attribution"]).split())  # plain text on one line

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("map_tile_url") and not data.get("map_attribution"):
            self.add_error("map_attribution", _("Say whose map it is: the tile server's terms ask for this credit."))
        return data

    def clean_crisis_options(self) -> list[dict[str, str]]:
        options = []
        for number, line in enumerate(str(self.cleaned_data["crisis_options"]).splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not all(parts):
                raise forms.ValidationError(_("Line %(n)d: write kind | label | number or address.") % {"n": number})
            kind, label, value = parts
            if kind not in CRISIS_KINDS:
                raise forms.ValidationError(
                    _("Line %(n)d: the kind must be one of call, text, chat, emergency, other.") % {"n": number}
                )
            if value.lower().startswith(("javascript:", "data:")):
                raise forms.ValidationError(_("Line %(n)d: use a phone number or a web address.") % {"n": number})
            if len(label) > 200 or len(value) > 300:
                raise forms.ValidationError(_("Line %(n)d is too long.") % {"n": number})
            options.append({"kind": kind, "label": label, "value": value})
        if not options:
            raise forms.ValidationError(_("Show at least one crisis option: this is not a crisis service."))
        return options


def crisis_href(option: dict[str, str]) -> str:
    value = option.get("value", "")
    if value.startswith(("https://", "http://")):
        return value
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if option.get("kind") == "text":
        return f"sms:{digits}"
    return f"tel:{digits}" if digits else ""
