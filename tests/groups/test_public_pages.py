"""The public group page, registering on it (bad input for every field), and the registrant's own
page: only public facts, the online link only for registered people, JSON-LD escaped safely."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.groups.models import GroupAgreement, Registration, RegistrationStatus
from alongside.groups.vocab import Audience, GroupFormat, Joining
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.django_db

LINK = "https://video.example.org/secret-room"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def page(group: Any) -> str:
    return reverse("groups:public_group", args=[group.organisation.slug, group.slug])


def online_group(t: Any, name: str = "Online Circle", **fields: Any) -> Any:
    defaults: dict[str, Any] = {
        "format": GroupFormat.ONLINE,
        "site": None,
        "online_url": LINK,
        "joining": Joining.REGISTRATION,
        "capacity": 1,
        "description": "A <b>kind</b> group </script><script>alert(1)</script>",
    }
    defaults.update(fields)
    with scopes_disabled():
        group = make_group(t, name, **defaults)
        make_schedule(group)
    return group


def json_ld(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_page_shows_public_facts_and_json_ld_without_the_link(harbor: Any) -> None:
    group = online_group(harbor)
    with scopes_disabled():
        GroupAgreement.objects.create(organisation=harbor.organisation, group=group, version=1, text="We listen.")
    response = Client().get(page(group))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Online Circle" in html and "We listen." in html and "Peer" in html  # facilitator's first name only
    assert "Peer Harbor" not in html
    assert "English" in html
    assert LINK not in html
    assert "This is not a crisis service" in html
    assert "<script>alert(1)</script>" not in html
    data = json_ld(html)
    assert data["@type"] == "EventSeries" and data["name"] == "Online Circle"
    assert data["eventSchedule"][0]["byDay"] == ["https://schema.org/Tuesday"]
    assert data["location"] == {"@type": "VirtualLocation"}
    assert "</script>" in data["description"]  # survived, escaped inside the JSON
    assert 'name="first_name"' in html and 'name="agreement_acknowledged"' in html


def test_drop_in_group_with_public_join_details_shows_the_link_and_no_form(harbor: Any) -> None:
    group = online_group(harbor, joining=Joining.DROP_IN, capacity=None, join_details_public=True)
    html = Client().get(page(group)).content.decode()
    assert LINK in html
    assert 'name="first_name"' not in html
    assert json_ld(html)["location"]["url"] == LINK


@pytest.mark.parametrize("fields", [{"is_public": False}, {"status": "ended"}], ids=["private", "ended"])
def test_hidden_groups_are_missing(harbor: Any, fields: dict[str, Any]) -> None:
    group = online_group(harbor, **fields)
    assert Client().get(page(group)).status_code == 404
    assert Client().get(reverse("groups:public_group", args=["no-such-org", group.slug])).status_code == 404


def test_closed_group_says_how_to_ask(harbor: Any) -> None:
    group = online_group(harbor, is_open=False)
    html = Client().get(page(group)).content.decode()
    assert "closed group" in html and 'name="first_name"' not in html
    assert Client().post(page(group), {"first_name": "A", "email": "a@example.org"}).status_code == 400
    with scopes_disabled():
        assert not Registration.objects.exists()


def test_register_then_own_page_shows_the_link_then_cancel_promotes(harbor: Any) -> None:
    group = online_group(harbor)
    client = Client()
    response = client.post(page(group), {"first_name": "Ana", "email": "ana@example.org"})
    assert response.status_code == 302 and response["Location"].endswith("?new=1")
    own = re.match(r"(/directory/groups/[^?]+/registration/[^/]+/)", response["Location"])
    assert own is not None
    html = client.get(response["Location"]).content.decode()
    assert LINK in html and "you have a place" in html and "This page is your own link" in html
    assert client.get(own.group(1))["Cache-Control"].startswith("no-store")
    # Full now: the page offers the waitlist; the next person waits and does not see the link.
    assert "Join the waitlist" in client.get(page(group)).content.decode()
    other = Client().post(page(group), {"first_name": "Ben", "email": "ben@example.org"})
    ben_link = re.match(r"(/directory/groups/[^?]+/registration/[^/]+/)", other["Location"])
    assert ben_link is not None
    ben_html = Client().get(ben_link.group(1)).content.decode()
    assert LINK not in ben_html and "first on the waitlist" in ben_html
    # Ana cancels: Ben gets the place and now sees the link.
    assert client.post(own.group(1), {"confirm": "cancel"}).status_code == 302
    assert LINK in Client().get(ben_link.group(1)).content.decode()
    with scopes_disabled():
        assert Registration.objects.get(first_name="Ben").status == RegistrationStatus.REGISTERED


def test_registering_again_says_so_without_a_link(harbor: Any) -> None:
    group = online_group(harbor, capacity=5)
    assert Client().post(page(group), {"first_name": "Ana", "email": "ana@example.org"}).status_code == 302
    again = Client().post(page(group), {"first_name": "Ana", "email": "ANA@example.org"})
    assert again.status_code == 200
    html = again.content.decode()
    assert "already on the list" in html and "/registration/" not in html


def test_unknown_token_is_a_neutral_404(harbor: Any) -> None:
    group = online_group(harbor)
    url = reverse("groups:registration_own", args=[harbor.organisation.slug, group.slug, "x" * 43])
    assert Client().get(url).status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"first_name": "x" * 61}, "first_name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "", "phone": "12"}, "phone"),
        ({"email": "", "phone": "1" * 33}, "phone"),
        ({"age": ""}, "age"),
        ({"age": "abc"}, "age"),
        ({"age": "12"}, "age"),
        ({"age": "200"}, "age"),
        ({"guardian_name": ""}, "guardian_name"),
        ({"guardian_contact": ""}, "guardian_contact"),
        ({"guardian_consent": ""}, "guardian_consent"),
        ({"agreement_acknowledged": ""}, "agreement_acknowledged"),
    ],
)
def test_register_form_bad_input(harbor: Any, data: dict[str, str], field: str) -> None:
    group = online_group(harbor, audience=Audience.YOUTH, age_min=13, age_max=17, capacity=10)
    with scopes_disabled():
        GroupAgreement.objects.create(organisation=harbor.organisation, group=group, version=1, text="We listen.")
    good = {
        "first_name": "Kai",
        "email": "kai@example.org",
        "age": "15",
        "guardian_name": "Mo",
        "guardian_contact": "555 010 1000",
        "guardian_consent": "on",
        "agreement_acknowledged": "on",
    }
    form = {k: v for k, v in {**good, **data}.items() if v != ""}
    response = Client().post(page(group), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-errors"' in html
    assert f'id="id_{field}_error"' in html
    with scopes_disabled():
        assert not Registration.objects.exists()
    assert Client().post(page(group), good).status_code == 302


def test_honeypot_and_rate_limit(harbor: Any) -> None:
    group = online_group(harbor, capacity=50)
    assert (
        Client().post(page(group), {"first_name": "Bot", "email": "b@example.org", "website": "x"}).status_code == 200
    )
    with scopes_disabled():
        assert not Registration.objects.exists()
    client = Client()
    for i in range(reg_limit() - 1):
        assert client.post(page(group), {"first_name": f"P{i}", "email": f"p{i}@example.org"}).status_code == 302
    assert client.post(page(group), {"first_name": "Late", "email": "late@example.org"}).status_code == 429


def reg_limit() -> int:
    from alongside.groups.views.public import RATE_LIMIT

    return RATE_LIMIT


def test_in_person_page_shows_the_address_and_cancellations(harbor: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alongside.groups.models import Session, SessionStatus
    from alongside.groups.schedules import occurrences

    with scopes_disabled():
        group = make_group(harbor, "Street Circle")
        make_schedule(group)
        now = timezone.now()
        nxt = occurrences(group, now, now + timedelta(days=14))[0]
        Session.objects.create(
            organisation=harbor.organisation,
            group=group,
            schedule_id=nxt.schedule_id,
            original_start=nxt.original_start,
            starts_at=nxt.starts_at,
            ends_at=nxt.ends_at,
            status=SessionStatus.CANCELLED,
            change_note="Room closed for repairs",
        )
    html = Client().get(page(group)).content.decode()
    assert "1 Main Street" in html and "Springfield" in html
    assert "<del>" in html and "Cancelled" in html and "Room closed for repairs" in html
    data = json_ld(html)
    assert data["location"]["address"]["addressLocality"] == "Springfield"
    assert data["subEvent"][0]["eventStatus"] == "https://schema.org/EventCancelled"
