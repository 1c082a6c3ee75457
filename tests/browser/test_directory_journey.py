"""Find peer support in a real browser: search near a ZIP code, see a group, open its page; the
directory pages are axe-clean, "Use my location" appears only with JavaScript, and nothing is
fetched from another origin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, expect

from alongside.directory.geocode import geocode
from alongside.directory.sync import reindex
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible
from tests.conftest import Tenant
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _tables_loaded() -> None:
    """Load the bundled ZIP and city tables before the browser waits on a search (the live server
    runs in this process, so they stay loaded)."""
    geocode("62701")
    geocode("Springfield, IL")


def test_find_a_group_near_a_zip_code_and_open_its_page(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    with scopes_disabled():
        group = make_group(tenant, "Tuesday Circle", description="A calm circle for anyone finding their way.")
        make_schedule(group)
    reindex()

    requested: list[str] = []
    context = make_context()
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()

    page.goto("/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find peer support")
    expect(page.get_by_role("button", name="Use my location")).to_be_visible()  # shown by our script
    assert_accessible(page)

    page.get_by_label("ZIP code or town").fill("62701")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Showing results near ZIP code 62701")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="within 25 miles")).to_contain_text(
        "2 places to meet"
    )  # the group, and mentors at the same site
    result = page.get_by_role("heading", level=3, name="Tuesday Circle")
    expect(result).to_be_visible()
    assert_accessible(page)

    # A search that cannot be placed explains itself.
    page.get_by_label("ZIP code or town").fill("Xyzzyville")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("could not find a place called")
    assert_accessible(page)

    page.go_back()
    page.get_by_role("link", name="Tuesday Circle").click()
    expect(page).to_have_url(f"{live_server.url}/directory/groups/harbor/tuesday-circle/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tuesday Circle")
    assert_accessible(page)

    assert all(same_origin(url, live_server.url) for url in requested), requested


def test_without_javascript_the_location_button_stays_hidden(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    page = make_context(java_script_enabled=False).new_page()
    page.goto("/directory/")
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()
    page.get_by_label("ZIP code or town").fill("Springfield, IL")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Showing results near Springfield, Illinois")).to_be_visible()
