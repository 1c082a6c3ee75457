"""One-on-one mentorship in a real browser: the person opens their private link on a phone and picks a
peer supporter among the suggestions; the peer signs in and says yes on "Requests for you"; the peer
logs a session on the mentorship page; the person sees it and edits their support plan, and the peer
sees who changed it. axe-core is clean on the choice page, the person's mentorship page and the staff
mentorship page, and nothing is fetched from another origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, Page, expect

from alongside.matching.models import Match, MatchStatus
from alongside.people import rights
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant
from tests.matching.helpers import make_peer, make_person, make_request

pytestmark = pytest.mark.browser

NAME = "Robin"


def test_the_person_picks_the_peer_accepts_a_session_is_logged_and_the_person_edits_their_plan(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    requested: list[str] = []

    def recorded_page(**options: Any) -> Page:
        context = make_context(**options)
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    peer = tenant.user("peer")  # "Peer Harbor": the person sees the first name, "Peer"
    with scopes_disabled():
        make_peer(tenant, "Jordan", user=peer, shared=("Alcohol", "Grief and loss"))
        make_peer(tenant, "Alex")
        make_peer(tenant, "Sam", shared=("Anxiety",))
        person = make_person(tenant, NAME, matching=("Alcohol", "Grief and loss"))
        make_request(tenant, person, experiences=("Alcohol", "Grief and loss"))
        _link, token = rights.access_link_create(acting_user=tenant.user("coordinator"), participant=person)

    # --- 1. The person, on their phone, chooses among the suggestions. ---
    phone = recorded_page(viewport={"width": 375, "height": 740})
    phone.goto(f"/me/start/{token}/")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")
    section = phone.get_by_role("region", name="Your peer supporter")
    section.get_by_role("link", name="Choose your peer supporter").click()
    expect(phone).to_have_url(f"{live_server.url}/me/mentorship/")
    expect(phone.get_by_role("heading", level=2, name="Choose your peer supporter")).to_be_visible()
    suggestions = phone.locator("li.suggestion")
    expect(suggestions).to_have_count(3)
    first = suggestions.first
    expect(first.get_by_role("heading", level=3)).to_have_text("Peer")  # shares the most with them
    expect(first).to_contain_text("I'm Jordan.")
    # What both chose to share (in the terms' order, which is their ids').
    expect(first).to_contain_text(
        re.compile(r"You both shared (Alcohol and Grief and loss|Grief and loss and Alcohol)")
    )
    expect(first).to_contain_text("Tuesday: evening")
    expect(phone.get_by_role("complementary", name="If you are in crisis")).to_contain_text(
        "This is not a crisis service."
    )
    assert_accessible(phone)
    first.get_by_role("button", name="Choose Peer").click()
    expect(phone.get_by_role("status")).to_contain_text("We have asked Peer")
    expect(phone.get_by_role("heading", level=2, name="We have asked Peer")).to_be_visible()
    expect(phone.get_by_text("You can ask for a different peer supporter at any time.")).to_be_visible()

    # --- 2. The peer signs in and says yes. ---
    staff = recorded_page()
    sign_in(staff, peer, confirmed_device(peer), live_server, "harbor")
    staff.goto("/app/harbor/matching/requests-for-you/")
    staff.get_by_role("button", name=f"Yes, I will support {NAME}").click()
    expect(staff.get_by_role("status")).to_contain_text(f"You are now {NAME}'s peer supporter")
    with scopes_disabled():
        match = Match.objects.get(participant=person)
    assert match.status == MatchStatus.ACCEPTED

    # --- 3. The peer opens the mentorship from their caseload and logs a session. ---
    staff.goto("/app/harbor/caseload/")
    staff.get_by_role("link", name=f"Mentorship with {NAME}").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Mentorship with {NAME}")
    assert_accessible(staff)
    staff.get_by_text("Log a session", exact=True).click()
    form = staff.locator(f"form[action='/app/harbor/mentorships/{match.pk}/sessions/']")
    form.get_by_label("Minutes").fill("50")
    form.get_by_label("Video").check()
    form.get_by_label("Topics").fill("sleep, work")
    form.get_by_role("button", name="Log the session").click()
    expect(staff.get_by_role("status")).to_contain_text("Session logged.")
    sessions = staff.get_by_role("table", name="Sessions")
    expect(sessions).to_contain_text("sleep, work")
    expect(staff.get_by_role("list", name="Mentorship status")).to_contain_text("Active")
    assert_accessible(staff)

    # --- 4. The person sees their mentorship and edits their plan. ---
    phone.goto("/me/mentorship/")
    phone.get_by_role("link", name="Your plan, sessions and next session").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("You and Peer")
    expect(phone.get_by_role("region", name="Your sessions")).to_contain_text("Video, 50 minutes")
    expect(phone.get_by_text("You can ask for a different peer supporter at any time.")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("link", name="Edit your plan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Edit your support plan")
    phone.get_by_label("Your goals").fill("Sleep before midnight\nGo back to the choir")
    phone.get_by_label("Every two weeks").check()
    assert_accessible(phone)
    phone.get_by_role("button", name="Save your plan").click()
    expect(phone.get_by_role("status")).to_contain_text("Your plan is saved.")
    plan = phone.get_by_role("region", name="Your support plan")
    expect(plan.get_by_role("listitem").filter(has_text="Go back to the choir")).to_be_visible()
    expect(plan).to_contain_text("You changed it last")
    expect(plan).to_contain_text("Every two weeks")
    assert_accessible(phone)

    # --- 5. The peer sees the person's words, and who changed them. ---
    staff.reload()
    plan_section = staff.get_by_role("region", name="Support plan")
    expect(plan_section).to_contain_text("Go back to the choir")
    expect(plan_section).to_contain_text(f"Last changed by {NAME}")

    # --- 6. Nothing on the way was fetched from another origin. ---
    elsewhere = [url for url in requested if not same_origin(url, live_server.url)]
    assert not elsewhere, f"requests left {live_server.url}: {elsewhere}"
