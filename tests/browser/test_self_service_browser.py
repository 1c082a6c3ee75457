"""Participants' rights in a real browser: an admin gives a person a private link from their profile
(and looks at the erasure and access-history pages); the person opens the link, continues, sees who
has looked at their record, downloads their information, reads it, and leaves. Every page is checked
with axe-core, and nothing is fetched from another origin."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, Page, expect

from alongside.people import services
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant

pytestmark = pytest.mark.browser

NAME = "Marisol"


def test_private_link_access_history_and_download(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SITE_URL = live_server.url  # the link shown to staff points at this test server
    requested: list[str] = []

    def recorded_page(**options: Any) -> Page:
        context = make_context(**options)
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    with scopes_disabled():
        person = services.participant_create(
            acting_user=tenant.user("coordinator"),
            organisation=tenant.organisation,
            preferred_name=NAME,
            safe_to_text=True,
            safe_to_email=False,
            notes="Wants to try the Tuesday group",
        )

    # --- 1. The admin opens the profile (a view the person will see) and makes the link. ---
    admin = tenant.user("admin")
    staff = recorded_page()
    sign_in(staff, admin, confirmed_device(admin), live_server, "harbor")
    staff.goto(f"/app/harbor/people/{person.pk}/")
    rights = staff.get_by_role("region", name="Their rights")
    expect(rights).to_be_visible()
    assert_accessible(staff)

    rights.get_by_role("link", name="Who has viewed this record").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Who has viewed {NAME}'s record")
    expect(staff.get_by_role("table", name="Access history")).to_contain_text("Viewed your record")
    assert_accessible(staff)

    staff.goto(f"/app/harbor/people/{person.pk}/erase/")
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Erase {NAME}'s record")
    expect(staff.get_by_role("checkbox", name=f"{NAME} asked for their record to be erased")).to_be_visible()
    assert_accessible(staff)

    staff.goto(f"/app/harbor/people/{person.pk}/")
    staff.get_by_role("button", name=f"Give {NAME} a private link").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"A private link for {NAME}")
    expect(staff.get_by_text("Do not send it by email.")).to_be_visible()
    link = staff.get_by_role("textbox", name="Private link").input_value()
    assert link.startswith(f"{live_server.url}/me/start/")
    assert_accessible(staff)

    # --- 2. The person opens the link on their phone: a calm page, nothing used up yet. ---
    phone = recorded_page(viewport={"width": 375, "height": 740}, accept_downloads=True)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your private page")
    expect(phone.get_by_text(NAME)).to_have_count(0)
    expect(phone.get_by_role("complementary", name="If you are in crisis")).to_contain_text(
        "This is not a crisis service."
    )
    assert_accessible(phone)

    phone.get_by_role("button", name="Continue").click()
    expect(phone).to_have_url(f"{live_server.url}/me/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")
    history = phone.get_by_role("table", name="Who has looked at your record")
    viewed = history.get_by_role("row").filter(has_text="Viewed your record")
    expect(viewed.first).to_contain_text(admin.display_name)
    expect(viewed.first).to_contain_text("Organisation admin")
    expect(history).to_contain_text("Made you a private link")
    expect(phone.get_by_role("complementary", name="If you are in crisis")).to_be_visible()
    assert_accessible(phone)

    # --- 3. They download their information, and read it on a page. ---
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Download a file (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "my-information.json"
    target = tmp_path / "mine.json"
    download.save_as(target)
    data = json.loads(target.read_text())
    assert data["participant"]["preferred_name"] == NAME
    assert data["participant"]["notes"] == "Wants to try the Tuesday group"

    phone.get_by_role("link", name="Read it on a page you can print").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Everything we hold about you")
    expect(phone.get_by_text("Wants to try the Tuesday group")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("link", name="Back to your private page").first.click()
    expect(phone.get_by_role("table", name="Who has looked at your record")).to_contain_text(
        "Downloaded your information"
    )

    # --- 4. They leave; this browser no longer has the page. ---
    phone.get_by_role("button", name="Leave my private page").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("You have left your private page")
    assert_accessible(phone)
    phone.goto("/me/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link is not working")
    expect(phone.get_by_text(NAME)).to_have_count(0)
    assert_accessible(phone)

    # --- 5. Nothing on the way was fetched from another origin. ---
    elsewhere = [url for url in requested if not same_origin(url, live_server.url)]
    assert not elsewhere, f"requests left {live_server.url}: {elsewhere}"
