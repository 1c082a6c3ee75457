"""The people pages end to end in a real browser: someone reaches out through the public form, the
coordinator finds them in the intake queue, takes them on and records their consent, and their peer
supporter logs a first contact. Every page on the way is checked with axe-core, and nothing is fetched
from another origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, Page, expect

from alongside.people.models import ContactRecord, Participant
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant

pytestmark = pytest.mark.browser

NAME = "Marisol"
PHONE = "555-0142"
NOTE = "Talked about getting back to work; wants to try the Tuesday group."


def nav_link(page: Page, label: str) -> Any:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)


def test_reach_out_intake_consent_and_first_contact(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    requested: list[str] = []

    def recorded_page() -> Page:
        context = make_context()
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    # --- 1. A visitor reaches out: a first name and a phone number are enough. ---
    visitor = recorded_page()
    visitor.goto("/o/harbor/")
    visitor.get_by_role("link", name="Reach out", exact=True).click()
    expect(visitor).to_have_url(f"{live_server.url}/o/harbor/reach-out/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Reach out to {tenant.organisation.name}")
    assert_accessible(visitor)

    visitor.get_by_label("Your first name").fill(NAME)
    visitor.get_by_role("textbox", name="Phone").fill(PHONE)
    visitor.get_by_role("button", name="Send").click()
    expect(visitor).to_have_url(f"{live_server.url}/o/harbor/reach-out/thanks/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you for reaching out")

    with scopes_disabled():
        enquiry = Participant.objects.get(organisation=tenant.organisation)
        assert (enquiry.preferred_name, enquiry.phone, enquiry.status) == (NAME, PHONE, "enquiry")
        # They reached out three hours ago, so the queue has a wait worth showing.
        Participant.objects.filter(pk=enquiry.pk).update(created_at=timezone.now() - timedelta(hours=3, minutes=5))

    # --- 2. The coordinator finds them in the intake queue and chooses their peer supporter. ---
    coordinator = tenant.user("coordinator")
    staff = recorded_page()
    sign_in(staff, coordinator, confirmed_device(coordinator), live_server, "harbor")
    nav_link(staff, "Intake").click()
    expect(staff).to_have_url(f"{live_server.url}/app/harbor/intake/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("People waiting to hear from us")
    row = staff.get_by_role("row").filter(has=staff.get_by_role("link", name=NAME, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Reached out themselves")
    expect(row.locator("time")).to_have_text(re.compile(r"^3\xa0hours$"))
    assert_accessible(staff)

    row.get_by_role("link", name=NAME, exact=True).click()
    expect(staff).to_have_url(f"{live_server.url}/app/harbor/people/{enquiry.pk}/")
    expect(staff.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(staff.get_by_text(PHONE, exact=True)).to_be_visible()
    assert_accessible(staff)

    peer = tenant.user("peer")
    staff.get_by_role("combobox", name="Peer supporter").select_option(label=peer.display_name)
    staff.get_by_role("button", name="Save peer supporter").click()
    expect(staff.get_by_role("status")).to_contain_text("Peer supporter saved.")
    expect(staff.get_by_role("combobox", name="Peer supporter")).to_have_value(str(peer.pk))

    # --- 3. The coordinator records consent to receive peer support, given verbally with a witness. ---
    staff.get_by_role("link", name="Record consent", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Record consent for {NAME}")
    assert_accessible(staff)

    staff.get_by_role("radio", name="Receiving peer support (service delivery)").check()
    expect(staff.get_by_role("radio", name="The person themselves")).to_be_checked()
    staff.get_by_role("radio", name="Verbal, with a witness").check()
    staff.get_by_role("textbox", name="Witness").fill("Dana Ortiz")
    staff.get_by_role("button", name="Record consent").click()

    expect(staff).to_have_url(f"{live_server.url}/app/harbor/people/{enquiry.pk}/")
    expect(staff.get_by_role("status")).to_contain_text("Consent recorded.")
    consents = staff.get_by_role("table", name="Current")
    consent_row = consents.get_by_role("row").filter(has_text="Receiving peer support (service delivery)")
    expect(consent_row).to_have_count(1)
    expect(consent_row).to_contain_text("The person themselves")
    expect(consent_row).to_contain_text("Verbal, with a witness")
    expect(consent_row).to_contain_text(coordinator.display_name)

    # --- 4. The peer supporter, in their own browser, logs a first contact from their caseload. ---
    supporter = recorded_page()
    sign_in(supporter, peer, confirmed_device(peer), live_server, "harbor")
    nav_link(supporter, "My caseload").click()
    expect(supporter.get_by_role("heading", level=1)).to_have_text("The people you support")
    person = supporter.get_by_role("row").filter(has=supporter.get_by_role("link", name=NAME, exact=True))
    expect(person).to_have_count(1)
    expect(person).to_contain_text("No contact yet")
    assert_accessible(supporter)

    person.get_by_role("link", name=f"Log a contact with {NAME}").click()
    expect(supporter.get_by_role("heading", level=1)).to_have_text(f"Log a contact with {NAME}")
    assert_accessible(supporter)

    supporter.get_by_label("Minutes").fill("40")
    supporter.get_by_role("group", name="How you met or talked").get_by_role("radio", name="Phone", exact=True).check()
    supporter.get_by_role("radio", name="One-on-one mentorship").check()
    supporter.get_by_role("textbox", name="Private notes").fill(NOTE)
    supporter.get_by_role("button", name="Log contact").click()

    expect(supporter).to_have_url(f"{live_server.url}/app/harbor/people/{enquiry.pk}/")
    expect(supporter.get_by_role("status")).to_contain_text("Contact logged.")
    contacts = supporter.get_by_role("table", name="Recent contacts")
    contact_row = contacts.get_by_role("row").filter(has_text="One-on-one mentorship")
    expect(contact_row).to_have_count(1)
    expect(contact_row.get_by_role("cell")).to_have_text(
        ["One-on-one mentorship", "Phone", "40", peer.display_name, "—"]
    )
    # The private note is kept with the contact, not shown in the list.
    expect(supporter.get_by_text(NOTE)).to_have_count(0)
    with scopes_disabled():
        contact = ContactRecord.objects.get(participant=enquiry)
        assert (contact.peer, contact.duration_minutes, contact.notes) == (peer, 40, NOTE)

    # --- 5. Nothing on the way was fetched from another origin. ---
    assert f"{live_server.url}/o/harbor/reach-out/thanks/" in requested
    assert any(url.endswith("/static/alongside/css/app.css") for url in requested), requested
    elsewhere = [url for url in requested if not same_origin(url, live_server.url)]
    assert not elsewhere, f"requests left {live_server.url}: {elsewhere}"


def test_an_urgent_message_on_the_reach_out_form(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    """Crisis screening on the public form: the person sees the crisis options first, on a phone;
    the coordinator finds them at the top of the intake queue, marked urgent."""
    visitor = make_context(viewport={"width": 390, "height": 800}).new_page()
    visitor.goto("/o/harbor/reach-out/")
    visitor.get_by_label("Your first name").fill("Jo")
    visitor.get_by_role("textbox", name="Phone").fill("555-0199")
    visitor.get_by_label("Anything you’d like us to know").fill("I'm standing on the bridge right now")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor).to_have_url(f"{live_server.url}/o/harbor/reach-out/thanks/")
    urgent = visitor.get_by_role("alert").filter(
        has=visitor.get_by_role("heading", name="Please reach out for help now")
    )
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text("988")
    expect(urgent).to_be_in_viewport()  # the first thing on a phone's screen
    assert_accessible(visitor)
    visitor.reload()
    expect(visitor.get_by_role("heading", name="Please reach out for help now")).to_have_count(0)  # once

    coordinator = tenant.user("coordinator")
    staff = make_context().new_page()
    sign_in(staff, coordinator, confirmed_device(coordinator), live_server, "harbor")
    staff.goto("/app/harbor/intake/")
    first = staff.get_by_role("row").nth(1)
    expect(first).to_contain_text("Jo")
    expect(first).to_contain_text("Urgent")
    expect(first).to_contain_text("At a place of danger")
    assert_accessible(staff)
