"""The main journeys in a real browser: signing in, setting up the second factor, the public pages'
accessibility and safety features, and that nothing is fetched from another origin."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import BrowserContext, Page, expect

from alongside.accounts.models import TOTPDevice, User
from tests.browser.conftest import same_origin
from tests.conftest import PASSWORD, Tenant

pytestmark = pytest.mark.browser

WRONG_CODE_MESSAGE = "That code did not work"


# --- Helpers --------------------------------------------------------------------------------


def code_for(key: bytes, *, step: int = 30, digits: int = 6, drift: int = 0, offset: int = 0) -> str:
    totp = TOTP(key, step, 0, digits, drift)
    totp.time = time.time() + offset * step
    return f"{totp.token():0{digits}d}"


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return code_for(device.bin_key, step=device.step, digits=device.digits, drift=device.drift)


def wrong_code(device: TOTPDevice) -> str:
    """A code the device rejects: none of those valid now or one step either side (the tolerance)."""
    valid = {code_for(device.bin_key, step=device.step, offset=offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def wait_out_throttle(device: TOTPDevice) -> None:
    """After a failed code the device refuses every code for a second (then 2, 4 …): wait it out."""
    device.refresh_from_db()
    allowed, details = device.verify_is_allowed()
    if not allowed:
        time.sleep(max(0.0, (details["locked_until"] - timezone.now()).total_seconds()) + 0.1)


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def submit_password(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def submit_code(page: Page, code: str) -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, user: User, device: TOTPDevice, live_server: Any, slug: str) -> None:
    submit_password(page, user)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    submit_code(page, current_code(device))
    expect(page).to_have_url(f"{live_server.url}/app/{slug}/")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe-core found serious or critical problems on {page.url}:\n{describe(violations)}"


# --- 1. Signing in --------------------------------------------------------------------------


def test_sign_in_with_password_and_code_reaches_the_staff_home(page: Page, tenant: Tenant, live_server: Any) -> None:
    user = tenant.user("admin")
    device = confirmed_device(user)

    submit_password(page, user)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()

    # A wrong code: the message, and still no way in.
    submit_code(page, wrong_code(device))
    # The message sits next to the field (and in the summary at the top of the form).
    expect(page.locator("#id_code_error")).to_contain_text(WRONG_CODE_MESSAGE)
    expect(page.locator("#form-errors")).to_contain_text(WRONG_CODE_MESSAGE)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.goto("/app/harbor/")
    expect(page).to_have_url(re.compile(r"/accounts/verify/\?next=/app/harbor/$"))
    expect(page.get_by_text("Welcome")).to_have_count(0)

    wait_out_throttle(device)
    submit_code(page, current_code(device))
    expect(page).to_have_url(f"{live_server.url}/app/harbor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user.display_name}")


# --- 2. First-time set-up of the second factor ----------------------------------------------


def test_first_sign_in_sets_up_the_authenticator_and_shows_recovery_codes(
    page: Page, tenant: Tenant, live_server: Any
) -> None:
    user = tenant.user("peer")
    assert not TOTPDevice.objects.filter(user=user).exists()

    submit_password(page, user)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    grouped = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", grouped.strip()), grouped
    key = base64.b32decode(grouped.replace(" ", "").strip())

    page.get_by_label("The 6-digit code your app shows now").fill(code_for(key))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Keep these recovery codes safe")).to_be_visible()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    for code in codes.all_inner_texts():
        assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code), code
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1

    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page).to_have_url(f"{live_server.url}/app/harbor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user.display_name}")


# --- 3. Accessibility and the public safety features -----------------------------------------


@pytest.mark.parametrize("path", ["/", "/o/harbor/", "/accounts/login/"])
def test_public_pages_have_no_serious_accessibility_problems(page: Page, tenant: Tenant, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert_accessible(page)


def test_signed_in_staff_home_has_no_serious_accessibility_problems(
    page: Page, tenant: Tenant, live_server: Any
) -> None:
    user = tenant.user("admin")
    sign_in(page, user, confirmed_device(user), live_server, "harbor")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert_accessible(page)


def test_public_organisation_page_shows_the_crisis_notice_and_quick_exit(page: Page, tenant: Tenant) -> None:
    page.goto("/o/harbor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant.organisation.name)
    expect(page.get_by_text("This is not a crisis service")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Quick exit"))).to_be_visible()


# --- 4. Nothing from another origin ---------------------------------------------------------


def test_pages_load_nothing_from_another_origin(page: Page, tenant: Tenant, live_server: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    for path in ["/", "/o/harbor/", "/accounts/login/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    user = tenant.user("admin")
    sign_in(page, user, confirmed_device(user), live_server, "harbor")
    page.wait_for_load_state("networkidle")

    # The recording works: the pages and our own stylesheet and script were seen.
    assert f"{live_server.url}/o/harbor/" in requested
    assert any(url.endswith("/static/alongside/css/app.css") for url in requested), requested
    assert any(url.endswith("/static/alongside/js/app.js") for url in requested), requested
    elsewhere = [url for url in requested if not same_origin(url, live_server.url)]
    assert not elsewhere, f"requests left {live_server.url}: {elsewhere}"


# --- 5. Quick exit --------------------------------------------------------------------------


NEUTRAL_PAGE = "<!DOCTYPE html><html lang='en'><title>Neutral</title><p>A neutral page</p></html>"


@pytest.mark.parametrize("how", ["escape key", "button"])
def test_quick_exit_leaves_at_once_without_a_way_back(page: Page, tenant: Tenant, live_server: Any, how: str) -> None:
    destination = tenant.organisation.quick_exit_url
    left_for: list[str] = []

    def neutral(route: Any) -> None:
        # Answered here: the real destination is never contacted.
        left_for.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)

    page.route(destination, neutral)
    page.goto("/")
    page.goto("/o/harbor/")
    history_before = page.evaluate("history.length")

    if how == "escape key":
        page.keyboard.press("Escape")
    else:
        page.get_by_role("link", name=re.compile(r"^Quick exit")).click()

    page.wait_for_url(destination)
    expect(page.get_by_text("A neutral page")).to_be_visible()
    assert left_for == [destination]
    # location.replace: the organisation's page is no longer in this tab's history.
    assert page.evaluate("history.length") == history_before
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/")


# --- 6. 200% zoom and a phone ---------------------------------------------------------------


VIEWPORTS = {
    # 1280 CSS pixels at 200% zoom is 640 CSS pixels wide.
    "200% zoom": {"viewport": {"width": 640, "height": 800}, "device_scale_factor": 2},
    "phone": {
        "viewport": {"width": 375, "height": 667},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_public_page_fits_narrow_screens_and_the_skip_link_works(
    make_context: Callable[..., BrowserContext], tenant: Tenant, screen: str
) -> None:
    page = make_context(**VIEWPORTS[screen]).new_page()
    page.goto("/o/harbor/")

    # On a phone Chromium zooms out to show content that is too wide, which widens window.innerWidth
    # with it; the root element's clientWidth stays the width the page was laid out for.
    size = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert size["scroll"] <= min(size["inner"], size["client"]), f"horizontal scroll on a {screen} screen: {size}"

    skip = page.get_by_role("link", name="Skip to main content")
    hidden = skip.bounding_box()
    assert hidden is not None and hidden["y"] + hidden["height"] <= 0, f"skip link shows before focus: {hidden}"

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    shown = skip.bounding_box()
    assert shown is not None, "skip link has no box when focused"
    assert shown["y"] >= 0 and shown["x"] >= 0 and shown["x"] + shown["width"] <= size["client"], shown

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#main$"))
