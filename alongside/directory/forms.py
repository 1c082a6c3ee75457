"""The "Find support" search form: where (a ZIP code or city, or the browser's location), how far,
and the filters. Everything arrives by GET, so a search is a link that can be shared or bookmarked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alongside.directory.geocode import GeocodeError, Place, geocode
from alongside.directory.models import ListingKind
from alongside.directory.search import AFTERNOON, DEFAULT_RADIUS_MILES, EVENING, MORNING, RADII_MILES, Filters
from alongside.groups.vocab import Accessibility, Audience, GroupFormat, Topic
from alongside.web.forms import LANGUAGE_CHOICES

KIND_CHOICES = [
    (ListingKind.GROUP.value, _("Peer support groups")),
    (ListingKind.WARMLINE.value, _("Warm lines")),
    (ListingKind.MENTORSHIP.value, _("One-on-one peer support")),
]
DAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("0", _("Sunday")),
]
TIME_CHOICES = [
    (str(MORNING), _("Morning (before noon)")),
    (str(AFTERNOON), _("Afternoon (noon to 5 pm)")),
    (str(EVENING), _("Evening (after 5 pm)")),
]
MAX_PAGE = 10_000


class SearchForm(forms.Form):
    where = forms.CharField(
        label=_("ZIP code or town"),
        required=False,
        max_length=100,
        help_text=_("For example 04101, or Portland, ME."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
    )
    # Filled by "Use my location" (browser geolocation, only when the button is pressed).
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    radius = forms.TypedChoiceField(
        label=_("Distance"),
        choices=[(str(miles), _("Within %(miles)d miles") % {"miles": miles}) for miles in RADII_MILES],
        coerce=int,
        initial=str(DEFAULT_RADIUS_MILES),
        required=False,
    )
    kind = forms.MultipleChoiceField(
        label=_("Kind of support"), choices=KIND_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    audience = forms.ChoiceField(
        label=_("Who it is for"), choices=[("", _("Anyone")), *Audience.choices], required=False
    )
    topic = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *LANGUAGE_CHOICES], required=False
    )
    format = forms.MultipleChoiceField(
        label=_("How it meets"), choices=GroupFormat.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    day = forms.MultipleChoiceField(
        label=_("Days"), choices=DAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    time = forms.MultipleChoiceField(
        label=_("Time of day"), choices=TIME_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    access = forms.MultipleChoiceField(
        label=_("Access needs"),
        choices=Accessibility.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only places that offer all of the ones you choose."),
    )
    open_now = forms.BooleanField(label=_("Warm lines open now"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    place: Place | None = None

    def clean_page(self) -> int:
        page = self.cleaned_data.get("page") or 1
        return min(page, MAX_PAGE)

    def clean_radius(self) -> int:
        return self.cleaned_data.get("radius") or DEFAULT_RADIUS_MILES

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lat, lon = cleaned.get("lat"), cleaned.get("lon")
        where = (cleaned.get("where") or "").strip()
        if "lat" in self.errors or "lon" in self.errors:
            self.errors.pop("lat", None)
            self.errors.pop("lon", None)
            raise forms.ValidationError(_("Your location could not be used. Enter a ZIP code or town instead."))
        if where:
            try:
                self.place = geocode(where)
            except GeocodeError as exc:
                self.add_error("where", str(exc))
        elif lat is not None and lon is not None:
            self.place = Place(lat, lon, str(_("your location")), "point")
        else:
            self.add_error("where", _("Enter a ZIP code or a town or city."))
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        days = 0
        for day in data.get("day") or ():
            days |= 1 << int(day)
        times = 0
        for bit in data.get("time") or ():
            times |= int(bit)
        return Filters(
            kinds=tuple(data.get("kind") or ()),
            audience=data.get("audience") or "",
            topics=tuple(data.get("topic") or ()),
            language=data.get("language") or "",
            formats=tuple(data.get("format") or ()),
            days=days,
            times=times,
            accessibility=tuple(data.get("access") or ()),
            open_now=bool(data.get("open_now")),
        )
