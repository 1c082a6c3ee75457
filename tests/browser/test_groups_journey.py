"""Group peer support in a real browser, end to end: someone finds a group near a ZIP code in the
directory, registers on its page; the facilitator, on a phone-sized screen, marks them present at
the session; the attendee leaves feedback through the session's link. axe-core is clean on the
directory, the group page, the registrant's own page, the roster and the feedback form, and nothing
is fetched from another origin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, Page, expect

from alongside.directory.geocode import geocode
from alongside.directory.sync import reindex
from alongside.groups import schedules, services
from alongside.groups.models import Attendance, Registration, SessionFeedback
from alongside.groups.vocab import Joining
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.browser


def test_find_register_attend_and_give_feedback(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    geocode("62701")  # the bundled ZIP table, loaded before the browser waits on it
    requested: list[str] = []

    def recorded_page(**options: Any) -> Page:
        context = make_context(**options)
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    now = timezone.now()
    with scopes_disabled():
        group = make_group(
            tenant,
            "Wednesday Circle",
            joining=Joining.REGISTRATION,
            capacity=8,
            description="A small circle for adults finding their way in recovery.",
        )
        # Daily, so the session that just started is there whatever day the test runs.
        start = (now - timedelta(minutes=30)).astimezone(schedules.ZoneInfo(group.timezone))
        make_schedule(
            group,
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
            start_date=start.date() - timedelta(days=7),
            start_time=start.time().replace(second=0, microsecond=0),
            duration_minutes=90,
        )
        services.agreement_publish(
            acting_user=tenant.user("coordinator"),
            group=group,
            text="What is said here stays here. Everyone may pass.",
        )
        [current] = [o for o in schedules.occurrences(group, now - timedelta(hours=1), now) if not o.cancelled]
    reindex()

    # --- 1. Someone finds the group near their ZIP code and registers. ---
    visitor = recorded_page(viewport={"width": 390, "height": 800})
    visitor.goto("/directory/")
    visitor.get_by_label("ZIP code or town").fill("62701")
    visitor.get_by_role("button", name="Search", exact=True).click()
    expect(visitor.get_by_role("heading", level=3, name="Wednesday Circle")).to_be_visible()
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Wednesday Circle").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Wednesday Circle")
    expect(visitor.get_by_role("complementary", name="If you are in crisis")).to_contain_text(
        "This is not a crisis service."
    )
    assert_accessible(visitor)
    visitor.get_by_label("Your first name").fill("Casey")
    visitor.get_by_label("Email").fill("casey@example.org")
    visitor.get_by_label("I have read the group agreement").check()
    visitor.get_by_role("button", name="Register").click()
    expect(visitor.get_by_role("status")).to_be_visible()
    expect(visitor.locator("main")).to_contain_text("Casey")
    assert_accessible(visitor)
    with scopes_disabled():
        registration = Registration.objects.get(group=group)
        assert registration.status == "registered" and registration.first_name == "Casey"

    # --- 2. The facilitator marks attendance on a phone. ---
    phone = recorded_page(viewport={"width": 375, "height": 740})
    facilitator = tenant.user("peer")
    sign_in(phone, facilitator, confirmed_device(facilitator), live_server, "harbor")
    phone.goto(f"/app/harbor/groups/{group.pk}/sessions/{current.key}/roster/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Wednesday Circle")
    phone.get_by_label("Casey").check()
    phone.get_by_label("People who came without registering").fill("2")
    phone.get_by_role("button", name="Save attendance").click()
    expect(phone.get_by_role("status")).to_be_visible()
    assert_accessible(phone)
    with scopes_disabled():
        assert Attendance.objects.filter(registration=registration, present=True).count() == 1
    feedback_url = phone.locator("a[href*='/directory/feedback/']").first.get_attribute("href")
    assert feedback_url

    # --- 3. The attendee leaves feedback through the session's link. ---
    visitor.goto(feedback_url)
    assert_accessible(visitor)
    visitor.get_by_label("5").check()
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.locator("main")).to_contain_text("Thank")
    with scopes_disabled():
        feedback = SessionFeedback.objects.get()
        assert feedback.rating == 5 and feedback.session.group_id == group.pk

    assert all(same_origin(url, live_server.url) for url in requested), requested
