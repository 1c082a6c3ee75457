"""Signed consent forms and the PDF export in a real browser: a coordinator records a written
consent with its scanned form, sees it on the profile, downloads it (a download, never a page),
is told clearly when a file is not a form, and downloads the person's export as a PDF. Every page
on the way is checked with axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from alongside.people.models import Consent, ConsentDocument
from tests.browser.test_journeys import assert_accessible, confirmed_device, sign_in
from tests.conftest import Tenant
from tests.people.helpers import tenant_participant
from tests.people.routes_documents import sample_pdf

pytestmark = pytest.mark.browser


def test_written_consent_with_its_signed_form_and_the_pdf_export(
    page: Page, tenant: Tenant, live_server: Any, tmp_path: Path
) -> None:
    sam = tenant_participant(tenant)
    coordinator = tenant.user("coordinator")
    sign_in(page, coordinator, confirmed_device(coordinator), live_server, "harbor")
    scan = tmp_path / "Signed consent.pdf"
    scan.write_bytes(sample_pdf("signed by Sam"))
    not_a_form = tmp_path / "notes.pdf"
    not_a_form.write_bytes(b"<html><body>not a form</body></html>")

    # --- 1. A written consent with its signed form, in one step. ---
    page.goto(f"/app/harbor/people/{sam.pk}/consent/")
    assert_accessible(page)
    page.get_by_label("Outcome evaluation (de-identified)").check()
    page.get_by_label("Written form, signed on paper").check()
    page.get_by_label("Signed form (PDF, PNG or JPEG, up to 5 MB)").set_input_files(str(scan))
    page.get_by_role("button", name="Record consent").click()
    expect(page).to_have_url(f"{live_server.url}/app/harbor/people/{sam.pk}/")
    with scopes_disabled():
        consent = Consent.objects.get(participant=sam)
        document = ConsentDocument.objects.get()
    assert (document.consent_id, document.filename) == (consent.pk, "Signed consent.pdf")

    # --- 2. The profile lists it; the link downloads it. ---
    section = page.locator("table[aria-labelledby='consent-documents-h']")
    expect(section.get_by_role("link", name="Signed consent.pdf")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        section.get_by_role("link", name="Signed consent.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "Signed consent.pdf"
    assert Path(download.path()).read_bytes() == sample_pdf("signed by Sam")

    # --- 3. A file that is not a form: a clear message, nothing stored. ---
    page.locator("summary").filter(has_text="Outcome evaluation").click()
    page.get_by_label("Signed form (PDF, PNG or JPEG)").set_input_files(str(not_a_form))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#id_document_error")).to_contain_text("Upload a PDF, PNG or JPEG file.")
    expect(page.locator("#form-errors")).to_contain_text("Upload a PDF, PNG or JPEG file.")
    assert_accessible(page)
    with scopes_disabled():
        assert ConsentDocument.objects.count() == 1

    # --- 4. The export, as a PDF. ---
    page.goto(f"/app/harbor/people/{sam.pk}/export/")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a document to print or send (PDF)").click()
    pdf = download_info.value
    assert pdf.suggested_filename == f"participant-{sam.pk}.pdf"
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF-")
