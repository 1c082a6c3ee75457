"""Forms for the mentorship pages (staff and the person's own): the support plan, a session, the next
session, pausing and closing, choosing a peer supporter. Rules live in ``matching/mentorship.py``
and ``matching/services.py``; these forms only turn posted text into their arguments."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.matching.mentorship import LOCATION_MAX, PLAN_TEXT_MAX, SUMMARY_MAX
from alongside.matching.models import CheckInFrequency, MatchClosedReason, PauseReason
from alongside.people.forms.records import LOCAL_INPUT_FORMAT, OrgLocalDateTimeField
from alongside.people.models import ContactMode


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _in_org_time(form: forms.Form, name: str, organisation: Any, initial_now: bool) -> None:
    tz = ZoneInfo(organisation.timezone)
    field = form.fields[name]
    assert isinstance(field, OrgLocalDateTimeField)
    field.tz = tz
    field.help_text = _("In the organisation's time zone (%(tz)s).") % {"tz": organisation.timezone}
    if initial_now and not form.is_bound and name not in form.initial:
        form.initial[name] = timezone.localtime(timezone.now(), tz).strftime(LOCAL_INPUT_FORMAT)


class PlanForm(forms.Form):
    """The support plan. ``for_person``: the words speak to the person ("your goals")."""

    goals = forms.CharField(label=_("Goals"), max_length=PLAN_TEXT_MAX, required=False, widget=_textarea())
    steps = forms.CharField(label=_("Steps"), max_length=PLAN_TEXT_MAX, required=False, widget=_textarea())
    supports = forms.CharField(label=_("Supports"), max_length=PLAN_TEXT_MAX, required=False, widget=_textarea())
    check_in_frequency = forms.ChoiceField(
        label=_("How often you check in"),
        choices=[("", _("Not decided yet")), *CheckInFrequency.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    check_in_how = forms.CharField(
        label=_("How you check in"), max_length=PLAN_TEXT_MAX, required=False, widget=_textarea(2)
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, for_person: bool = False, **kwargs: Any) -> None:
        # Several forms share the staff page: each has its own ids, so every label finds its field.
        kwargs.setdefault("auto_id", "plan_%s")
        super().__init__(*args, **kwargs)
        self.for_person = for_person
        if for_person:
            self.fields["goals"].label = _("Your goals")
            self.fields["goals"].help_text = _("What you would like to work towards, in your words. One a line.")
            self.fields["steps"].help_text = _("Small things you will try next. One a line.")
            self.fields["supports"].help_text = _(
                "People, places and things that help you, and what your peer supporter will do. One a line."
            )
        else:
            self.fields["goals"].help_text = _(
                "What the person would like to work towards, in their words. One a line."
            )
            self.fields["steps"].help_text = _("Small next steps the person chose. One a line.")
            self.fields["supports"].help_text = _(
                "People, places and things that help them, and what you will do. One a line."
            )
        self.fields["check_in_how"].help_text = _("For example: a text on Monday mornings, a call after work.")

    def rebased(self, version: int, message: Any) -> PlanForm:
        """The same words, on top of the plan's current version, with ``message`` (the plan changed
        while they were editing: saving again is now a deliberate choice)."""
        data = {name: self.data.get(name, "") for name in self.fields}
        data["version"] = str(version)
        form = PlanForm(data, for_person=self.for_person)
        form.is_valid()
        form.add_error(None, message)
        return form

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "goals": data["goals"],
            "steps": data["steps"],
            "supports": data["supports"],
            "check_in_frequency": data["check_in_frequency"],
            "check_in_how": data["check_in_how"],
            "version": data["version"],
        }


class SessionForm(forms.Form):
    """A quick form for a session that happened (a contact record of kind "mentorship")."""

    occurred_at = OrgLocalDateTimeField(label=_("When"))
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60, initial=60)
    mode = forms.ChoiceField(label=_("How you met or talked"), choices=ContactMode.choices, widget=forms.RadioSelect)
    topics = forms.CharField(
        label=_("Topics"),
        max_length=500,
        required=False,
        help_text=_("A few words, separated by commas, for example: housing, sleep, work."),
    )
    notes = forms.CharField(
        label=_("Private notes"),
        max_length=10000,
        required=False,
        widget=_textarea(3),
        help_text=_(
            "Stored encrypted and read only by staff who can see this person's record. Write in words you would be "
            "comfortable with the person reading."
        ),
    )
    follow_up_needed = forms.BooleanField(label=_("Follow-up needed"), required=False)

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "session_%s")
        super().__init__(*args, **kwargs)
        _in_org_time(self, "occurred_at", organisation, initial_now=True)

    def clean_topics(self) -> list[str]:
        return [t.strip() for t in str(self.cleaned_data.get("topics", "")).split(",") if t.strip()]


class NextSessionForm(forms.Form):
    starts_at = OrgLocalDateTimeField(label=_("When"))
    duration_minutes = forms.IntegerField(label=_("How long (minutes)"), min_value=5, max_value=8 * 60, initial=60)
    mode = forms.ChoiceField(label=_("How you will meet"), choices=ContactMode.choices, widget=forms.RadioSelect)
    location = forms.CharField(
        label=_("Where, or the link"),
        max_length=LOCATION_MAX,
        required=False,
        help_text=_(
            "Exactly as it should appear in the calendar invite: a place you agreed on, or a video link. "
            "Needed when you meet in person."
        ),
    )

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "next_%s")
        super().__init__(*args, **kwargs)
        _in_org_time(self, "starts_at", organisation, initial_now=False)


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why pause"), choices=PauseReason.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "pause_%s")
        super().__init__(*args, **kwargs)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why it is ending"), choices=MatchClosedReason.choices, widget=forms.RadioSelect)
    worked_on = forms.CharField(
        label=_("What you worked on together"),
        max_length=SUMMARY_MAX,
        widget=_textarea(6),
        help_text=_(
            "In your words, to the person: what they worked on, what changed, what they might keep doing. They keep "
            "this summary with their support plan, so write what you would be glad for them to read."
        ),
    )


class ChooseForm(forms.Form):
    """The person picks a suggested peer supporter (both ids come from the page)."""

    request = forms.UUIDField(widget=forms.HiddenInput)
    peer = forms.UUIDField(widget=forms.HiddenInput)


class MoreForm(forms.Form):
    request = forms.UUIDField(widget=forms.HiddenInput)
