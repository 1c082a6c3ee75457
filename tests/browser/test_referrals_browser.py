"""Care-team referrals end to end in a real browser: a referrer refers someone new with the signed
consent form uploaded and sees the referral in their own view; the coordinator finds it on the
referral board, opens it and records a first contact attempt; the referrer then sees the new step.
The form, the board, the referral and the referrer's view are checked with axe-core, and nothing is
fetched from another origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, Page, expect

from alongside.people import referrals
from alongside.people.models import ConsentDocument, Referral
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.browser.test_people_journey import nav_link
from tests.conftest import Tenant

pytestmark = pytest.mark.browser

NAME = "Kit"
REASON = "Leaving the unit on Friday; would like a call from someone who has been there."
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_referrer_refers_coordinator_attempts_contact_referrer_sees_the_step(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    requested: list[str] = []

    def recorded_page() -> Page:
        context = make_context()
        context.on("request", lambda request: requested.append(request.url))
        return context.new_page()

    referrer = tenant.user("referrer")
    coordinator = tenant.user("coordinator")
    with scopes_disabled():
        partner = referrals.partner_create(
            acting_user=coordinator, organisation=tenant.organisation, name="Bayview Hospital", kind="hospital"
        )
        referrals.partner_set_referrers(acting_user=coordinator, partner=partner, referrers=[referrer])

    # --- 1. The referrer refers someone new, with the signed form. ---
    clinician = recorded_page()
    sign_in(clinician, referrer, confirmed_device(referrer), live_server, "harbor")
    nav_link(clinician, "Refer someone").click()
    expect(clinician).to_have_url(f"{live_server.url}/app/harbor/referrals/new/")
    expect(clinician.get_by_role("heading", level=1)).to_have_text("Refer someone")
    expect(clinician.get_by_text("for Bayview Hospital")).to_be_visible()
    assert_accessible(clinician)

    # Sent without the agreement first: a clear error, nothing written.
    clinician.get_by_label("Name they would like us to use").fill(NAME)
    clinician.get_by_role("textbox", name=re.compile(r"^Phone")).fill("(207) 555-0142")
    clinician.get_by_label("Why are you referring them?").fill(REASON)
    discharge = (timezone.localdate() + timedelta(days=2)).isoformat()
    clinician.get_by_label("Inpatient discharge date").fill(discharge)
    clinician.get_by_role("radio", name="Soon").check()
    clinician.get_by_role("button", name="Send referral").click()
    expect(clinician.locator("#form-errors")).to_contain_text("Confirm that the person agreed to this referral.")
    assert_accessible(clinician)
    with scopes_disabled():
        assert not Referral.objects.exists()

    clinician.get_by_label("The person agreed to be referred to us").check()
    clinician.get_by_label("Signed consent form for sharing updates").set_input_files(
        {"name": "signed form.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    clinician.get_by_role("button", name="Send referral").click()
    with scopes_disabled():
        referral = Referral.objects.select_related("participant", "consent").get()
        assert (referral.referrer, referral.partner, referral.participant.preferred_name) == (referrer, partner, NAME)
        assert referral.consent is not None and ConsentDocument.objects.filter(consent=referral.consent).exists()
    expect(clinician).to_have_url(f"{live_server.url}/app/harbor/my-referrals/{referral.pk}/")
    expect(clinician.get_by_role("status")).to_contain_text(f"Referral received for {NAME}.")
    expect(clinician.get_by_role("heading", level=1)).to_have_text(f"Your referral of {NAME}")
    expect(clinician.get_by_text(f"{NAME} agreed that we may tell you how it is going. Now: Received.")).to_be_visible()
    assert_accessible(clinician)

    nav_link(clinician, "My referrals").click()
    row = clinician.get_by_role("row").filter(has=clinician.get_by_role("link", name=NAME, exact=True))
    expect(row).to_contain_text("Received")
    assert_accessible(clinician)

    # --- 2. The coordinator finds it on the board and records a first contact attempt. ---
    staff = recorded_page()
    sign_in(staff, coordinator, confirmed_device(coordinator), live_server, "harbor")
    nav_link(staff, "Referrals").click()
    expect(staff).to_have_url(f"{live_server.url}/app/harbor/referrals/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Referrals from care teams")
    line = staff.get_by_role("row").filter(has=staff.get_by_role("link", name=NAME, exact=True))
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Bayview Hospital")
    expect(line).to_contain_text("Due by")
    assert_accessible(staff)

    staff.get_by_role("link", name="Overdue").click()
    expect(staff.get_by_role("heading", level=2, name="Overdue referrals")).to_be_visible()
    expect(staff.get_by_text("Nothing is overdue.")).to_be_visible()
    assert_accessible(staff)

    staff.get_by_role("link", name=re.compile(r"^All open")).click()
    staff.get_by_role("link", name=NAME, exact=True).click()
    expect(staff).to_have_url(f"{live_server.url}/app/harbor/referrals/{referral.pk}/")
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Referral of {NAME}")
    expect(staff.get_by_text(REASON)).to_be_visible()
    assert_accessible(staff)

    staff.get_by_role("button", name="Record a contact attempt").click()
    expect(staff.get_by_role("status")).to_contain_text("Saved: Contact attempted.")
    history = staff.get_by_role("table", name="Steps so far")
    expect(history.get_by_role("row")).to_have_count(3)  # the header, received, contact attempted
    expect(staff.get_by_role("button", name="They are engaged with us")).to_be_visible()

    # --- 3. The referrer sees the new step, because the person agreed. ---
    clinician.reload()
    row = clinician.get_by_role("row").filter(has=clinician.get_by_role("link", name=NAME, exact=True))
    expect(row).to_contain_text("Contact attempted")

    # --- 4. Nothing on the way was fetched from another origin. ---
    elsewhere = [url for url in requested if not same_origin(url, live_server.url)]
    assert not elsewhere, f"requests left {live_server.url}: {elsewhere}"
