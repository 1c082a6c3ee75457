"""The public "reach out" form: a first name and one way to reach the person; safety notices;
a honeypot and a per-address rate limit instead of third-party spam services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people.models import Participant
from alongside.people.views.public import RATE_LIMIT

pytestmark = pytest.mark.django_db

URL = "/o/harbor/reach-out/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def counts() -> tuple[int, int]:
    with scopes_disabled():
        return Participant.objects.count(), AuditEvent.objects.count()


def test_the_form_is_safe_and_plain(client: Client, harbor: Any) -> None:
    with scopes_disabled():
        harbor.organisation.crisis_options = [{"kind": "call", "label": "Harbor crisis line", "value": "555-0100"}]
        harbor.organisation.quick_exit_url = "https://example.org/news"
        harbor.organisation.save()
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Quick exit" in html and "https://example.org/news" in html
    assert "This is not a crisis service" in html and 'href="tel:5550100"' in html
    assert "Who will see this" in html and "Kept private" in html
    assert "<legend>Is it safe for us to leave you a voicemail?" in html
    assert '<div class="visually-hidden" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html
    assert " style=" not in html and "<script>" not in html


def test_public_page_links_to_the_form(client: Client, harbor: Any) -> None:
    assert 'href="/o/harbor/reach-out/"' in client.get("/o/harbor/").content.decode()


def test_unknown_or_inactive_organisation_is_not_found(client: Client, harbor: Any) -> None:
    assert client.get("/o/nowhere/reach-out/").status_code == 404
    with scopes_disabled():
        harbor.organisation.is_active = False
        harbor.organisation.save()
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"preferred_name": "Rae", "email": "rae@example.org"}).status_code == 404
    assert client.get(URL + "thanks/").status_code == 404


def test_reaching_out_creates_one_enquiry(client: Client, harbor: Any) -> None:
    before = counts()
    response = client.post(
        URL,
        {
            "preferred_name": "  Rae ",
            "phone": "(207) 555-0142",
            "preferred_contact": "text",
            "safe_to_voicemail": "no",
            "safe_to_text": "yes",
            "looking_for": ["groups", "warmline"],
            "message": "I just moved here and feel very alone",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/o/harbor/reach-out/thanks/"
    assert counts()[0] == before[0] + 1
    with scopes_disabled():
        rae = Participant.objects.get(organisation=harbor.organisation)
    assert (rae.preferred_name, rae.source, rae.status) == ("Rae", "self_referral", "enquiry")
    assert (rae.phone_digits, rae.preferred_contact) == ("2075550142", "text")
    assert (rae.safe_to_voicemail, rae.safe_to_text, rae.safe_to_email) == (False, True, None)
    assert (rae.looking_for_mentorship, rae.looking_for_groups, rae.looking_for_warmline) == (False, True, True)
    assert rae.notes == "I just moved here and feel very alone"
    event = AuditEvent.objects.get(action="participant.create", object_id=str(rae.pk))
    assert event.actor_id is None and event.organisation_id == harbor.organisation.pk
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for reaching out" in thanks and "within two working days" in thanks
    assert "Rae" not in thanks


def test_unanswered_safety_questions_stay_unknown(client: Client, harbor: Any) -> None:
    assert client.post(URL, {"preferred_name": "Rae", "email": "RAE@example.org"}).status_code == 302
    with scopes_disabled():
        rae = Participant.objects.get(organisation=harbor.organisation)
    assert rae.email == "rae@example.org"
    assert rae.safe_to_voicemail is None and rae.safe_to_text is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"preferred_name": "Rae"}, "email", "Give us an email address or a phone number"),
        ({"preferred_name": "Rae", "email": "  ", "phone": "  "}, "email", "Give us an email address or a phone"),
        ({"email": "rae@example.org"}, "preferred_name", "This field is required"),
        ({"preferred_name": "   ", "email": "rae@example.org"}, "preferred_name", "This field is required"),
        ({"preferred_name": "Rae", "email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"preferred_name": "Rae", "phone": "1" * 33}, "phone", "at most 32 characters"),
        ({"preferred_name": "Rae", "phone": "555", "safe_to_text": "maybe"}, "safe_to_text", "Select a valid"),
        ({"preferred_name": "Rae", "phone": "555", "looking_for": ["money"]}, "looking_for", "Select a valid"),
        ({"preferred_name": "Rae", "phone": "555", "message": "x" * 2001}, "message", "at most 2000 characters"),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(
    data: dict[str, Any], field: str, message: str, client: Client, harbor: Any
) -> None:
    before = counts()
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert counts() == before


def test_honeypot_pretends_success_and_writes_nothing(client: Client, harbor: Any) -> None:
    before = counts()
    response = client.post(URL, {"preferred_name": "Bot", "email": "bot@example.org", "website": "http://spam"})
    assert response.status_code == 302 and response["Location"] == "/o/harbor/reach-out/thanks/"
    assert counts() == before


def test_rate_limit_per_address_and_organisation(harbor: Any, riverbend: Any) -> None:
    first, second = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")
    for n in range(RATE_LIMIT):
        assert first.post(URL, {"preferred_name": f"Rae {n}", "email": f"rae{n}@example.org"}).status_code == 302
    before = counts()
    response = first.post(URL, {"preferred_name": "Rae again", "email": "again@example.org"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "please try again in an hour" in html and "988" in html
    assert counts() == before
    # Another address, or another organisation, is not held back.
    assert second.post(URL, {"preferred_name": "Kit", "email": "kit@example.org"}).status_code == 302
    assert first.post("/o/riverbend/reach-out/", {"preferred_name": "Rae", "phone": "555"}).status_code == 302
    # Bots filling the honeypot use up the same allowance.
    cache.clear()
    for _ in range(RATE_LIMIT):
        first.post(URL, {"preferred_name": "Bot", "email": "bot@example.org", "website": "x"})
    assert first.post(URL, {"preferred_name": "Rae", "email": "rae@example.org"}).status_code == 429


def test_a_signed_in_person_can_use_the_form_too(harbor: Any, login_as: Any) -> None:
    assert login_as(harbor.user("peer")).get(URL).status_code == 200


# --- Crisis screening of the message (docs/warmline.md, "Every free-text door") -----------------


def _enquiries(t: Any) -> list[Participant]:
    with scopes_disabled():
        return list(Participant.objects.filter(organisation=t.organisation).order_by("created_at"))


def test_an_urgent_message_shows_the_crisis_options_first_and_goes_to_the_top_of_the_queue(
    client: Client, harbor: Any, login_as: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.post(URL, {"preferred_name": "First", "email": "first@example.org", "message": "Looking for a group"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "preferred_name": "Sam",
                "email": "sam@example.org",
                "message": "I took a whole bottle of my pills tonight",
            },
        )
    thanks = client.get(response["Location"]).content.decode()
    assert "Please reach out for help now" in thanks and "988" in thanks
    assert "Please reach out for help now" not in client.get(response["Location"]).content.decode()  # once
    first, sam = _enquiries(harbor)
    assert (sam.screening_tier, sam.screening_concepts) == ("urgent", ["means"])
    assert first.screening_tier == ""
    # The coordinators and admins are told at once, with no name and no words of the person's.
    to = sorted(address for message in mailoutbox for address in message.to)
    assert to == sorted({harbor.user("coordinator").email, harbor.user("admin").email})
    for message in mailoutbox:
        assert "Sam" not in message.body and "bottle" not in message.body and "/app/harbor/intake/" in message.body
    page = login_as(harbor.user("coordinator")).get("/app/harbor/intake/").content.decode()
    assert page.index("Sam") < page.index("First") and "Urgent" in page and "Means at hand or taken" in page


def test_a_check_in_message_is_marked_for_staff_and_shows_the_person_nothing_new(
    client: Client, harbor: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"preferred_name": "Lee", "email": "lee@example.org", "message": "Some days I just want to die"}
        )
    thanks = client.get(response["Location"]).content.decode()
    assert "Please reach out for help now" not in thanks and "Thank you for reaching out" in thanks
    assert _enquiries(harbor)[0].screening_tier == "check_in" and mailoutbox == []


def test_a_calm_message_is_not_marked(client: Client, harbor: Any, mailoutbox: list[Any]) -> None:
    client.post(URL, {"preferred_name": "Ana", "email": "ana@example.org", "message": "This homework is killing me"})
    assert _enquiries(harbor)[0].screening_tier == "" and mailoutbox == []
