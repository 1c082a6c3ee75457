"""The export of everything held about a person as a PDF (people/documents.export_pdf over
core/pdf.py): the same content as the page, read back with pypdf; the export's referrals and
signed forms' metadata; the same permission, re-authentication and single audit row."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from alongside.audit.models import AuditEvent
from alongside.core.pdf import PdfDocument, attachment_disposition, fonts, text
from alongside.people import referrals, services
from alongside.people.documents import consent_document_attach
from alongside.people.models import Participant
from tests.people.helpers import tenant_participant
from tests.people.routes_documents import sample_pdf
from tests.people.test_consent_documents import upload

pytestmark = pytest.mark.django_db


def url(tenant: Any, participant: Any, fmt: str = "") -> str:
    return f"/app/{tenant.organisation.slug}/people/{participant.pk}/export/" + (f"?format={fmt}" if fmt else "")


def pdf_text(content: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(content))
    pages = [page.extract_text() for page in reader.pages]
    return "\n".join(pages), pages


def flat(value: str) -> str:
    """Extracted text with line breaks undone (long cells wrap)."""
    return " ".join(value.split())


@pytest.fixture
def sam(harbor: Any) -> Participant:
    return tenant_participant(harbor)


def add_contact(tenant: Any, participant: Participant, notes: str) -> None:
    with scopes_disabled():
        services.contact_record_create(
            acting_user=tenant.user("peer"),
            participant=participant,
            organisation=tenant.organisation,
            service_model="mentorship",
            occurred_at=timezone.now(),
            duration_minutes=30,
            mode="phone",
            notes=notes,
        )


def add_referral(tenant: Any, participant: Participant, reason: str) -> None:
    with scopes_disabled():
        partner = referrals.partner_list(tenant.organisation).filter(name="Bayview Clinic").first()
        if partner is None:
            partner = referrals.partner_create(
                acting_user=tenant.user("coordinator"), organisation=tenant.organisation, name="Bayview Clinic"
            )
        referrals.referral_create(
            acting_user=tenant.user("coordinator"),
            organisation=tenant.organisation,
            participant=participant,
            reason=reason,
            urgency="soon",
            partner=partner,
            discharge_date=timezone.localdate(),
            consent_attested=True,
        )


def add_signed_form(tenant: Any, participant: Participant, name: str) -> None:
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=tenant.user("coordinator"),
            participant=participant,
            purpose="evaluation",
            given_by="self",
            method="written",
        )
        consent_document_attach(
            acting_user=tenant.user("coordinator"), consent=consent, upload=upload(name, sample_pdf("form bytes"))
        )


def export_events(participant: Participant) -> int:
    return AuditEvent.objects.filter(action="participant.export", object_id=str(participant.pk)).count()


# --- The PDF ------------------------------------------------------------------------------------


def test_pdf_has_the_same_content_as_the_page(harbor: Any, sam: Participant, login_as: Any) -> None:
    add_contact(harbor, sam, "Talked about a new job")
    add_referral(harbor, sam, "Support after leaving the ward")
    add_signed_form(harbor, sam, "signed-evaluation.pdf")
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    response = client.get(url(harbor, sam, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"participant-{sam.pk}.pdf\"; filename*=UTF-8''participant-{sam.pk}.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    content, pages = pdf_text(response.content)
    words = flat(content)
    for expected in [
        "Everything we hold about Sam Sample",
        "Harbor Peers",
        "Sample notes that must stay private",  # the record's own notes
        "Talked about a new job",  # a contact's notes
        "One-on-one mentorship",  # labels, not codes
        "Outcome evaluation (de-identified)",
        "signed-evaluation.pdf",  # the signed form's name, under its consent
        "Bayview Clinic",
        "Support after leaving the ward",
        "Referrals",
        "Lived experience they chose to share",
        f"Page 1 of {len(pages)}",
    ]:
        assert expected in words, expected
    assert "form bytes" not in words  # never the file itself
    assert "Federal confidentiality notice" not in words
    # The page shows the same sections, with the links to both downloads.
    page = client.get(url(harbor, sam)).content.decode()
    for expected in ["?format=pdf", "?format=json", "Support after leaving the ward", "signed-evaluation.pdf"]:
        assert expected in page


def test_pdf_export_is_audited_once(harbor: Any, sam: Participant, login_as: Any) -> None:
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert client.get(url(harbor, sam, "pdf")).status_code == 200
    events = list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))
    assert [(e.action, e.object_type, e.object_id, e.actor_id, e.organisation_id) for e in events] == [
        ("participant.export", "people.participant", str(sam.pk), coordinator.pk, harbor.organisation.pk)
    ]


def test_part2_records_carry_the_redisclosure_notice_first(harbor: Any, sam: Participant, login_as: Any) -> None:
    with scopes_disabled():
        services.participant_update(acting_user=harbor.user("coordinator"), participant=sam, part2=True)
        notice = services.redisclosure_notice(sam)
    _, pages = pdf_text(login_as(harbor.user("admin")).get(url(harbor, sam, "pdf")).content)
    first = flat(pages[0])
    assert "Federal confidentiality notice (42 CFR Part 2)" in first
    assert flat(notice) in first
    assert first.index("Federal confidentiality notice") < first.index("Everything we hold about Sam Sample")


def test_names_beyond_latin1_and_markup_in_notes_are_printed_as_text(
    harbor: Any, sam: Participant, login_as: Any
) -> None:
    with scopes_disabled():
        services.participant_update(
            acting_user=harbor.user("coordinator"),
            participant=sam,
            preferred_name="Zoë Łukasz Nguyễn",
            notes="Likes <b>bold</b> & <para> tags; 5 < 6 &amp; done\nsecond line",
        )
    add_contact(harbor, sam, "Talked with Zoë about <font name='x'>Łódź</font> & Nguyễn")
    response = login_as(harbor.user("coordinator")).get(url(harbor, sam, "pdf"))
    assert response.status_code == 200
    words = flat(pdf_text(response.content)[0])
    assert "Everything we hold about Zoë Łukasz Nguy" in words
    assert "Likes <b>bold</b> & <para> tags; 5 < 6 &amp; done second line" in words
    assert "<font name='x'>Łódź</font>" in words
    if fonts().regular.startswith("AlongsideDejaVu"):  # Vera has no Vietnamese letters (they print blank)
        assert "Zoë Łukasz Nguyễn" in words


def test_long_exports_have_numbered_pages(harbor: Any, sam: Participant, login_as: Any) -> None:
    for n in range(40):
        add_contact(harbor, sam, f"Contact number {n}. " + "We talked for a while about the week. " * 6)
    _, pages = pdf_text(login_as(harbor.user("coordinator")).get(url(harbor, sam, "pdf")).content)
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Harbor Peers · exported" in page


def test_pdf_export_queries_do_not_grow_with_the_record(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    add_contact(harbor, sam, "one")
    add_referral(harbor, sam, "first")
    add_signed_form(harbor, sam, "one.pdf")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(harbor, sam, "pdf")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(8):
        add_contact(harbor, sam, f"contact {n}")
        add_referral(harbor, sam, f"referral {n}")
        add_signed_form(harbor, sam, f"form-{n}.pdf")
    assert queries() == few


# --- Permission and re-authentication, as for the other formats -----------------------------


@pytest.mark.parametrize("role", ["peer", "supervisor", "funder", "referrer"])
def test_pdf_export_is_its_own_permission(harbor: Any, sam: Participant, login_as: Any, role: str) -> None:
    assert login_as(harbor.user(role)).get(url(harbor, sam, "pdf")).status_code == 403
    assert export_events(sam) == 0


def test_pdf_export_outside_the_organisation_looks_missing(
    harbor: Any, sam: Participant, outsider: Any, login_as: Any
) -> None:
    assert login_as(outsider).get(url(harbor, sam, "pdf")).status_code == 404
    assert export_events(sam) == 0


def test_pdf_export_asks_for_the_password_again(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    start = timezone.now()
    for minute in range(5, 16, 5):
        with time_machine.travel(start + timedelta(minutes=minute)):
            client.get("/app/harbor/")
    with time_machine.travel(start + timedelta(minutes=16)):
        response = client.get(url(harbor, sam, "pdf"))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/confirm/")
    assert export_events(sam) == 0


# --- The export's data ---------------------------------------------------------------------------


def test_export_holds_referrals_and_signed_forms_metadata_never_their_bytes(
    harbor: Any, sam: Participant, login_as: Any
) -> None:
    add_referral(harbor, sam, "Support after leaving the ward")
    add_signed_form(harbor, sam, "signed.pdf")
    data = json.loads(login_as(harbor.user("coordinator")).get(url(harbor, sam, "json")).content)
    [referral] = data["referrals"]
    assert referral["partner"] == "Bayview Clinic"
    assert referral["reason"] == "Support after leaving the ward"
    assert (referral["status"], referral["urgency"]) == ("received", "soon")
    assert referral["discharge_date"] == timezone.localdate().isoformat()
    assert [step["status"] for step in referral["history"]] == ["received"]
    [document] = data["consent_documents"]
    assert set(document) == {
        "filename",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
        "consent_purpose",
    }
    assert (document["filename"], document["content_type"], document["consent_purpose"]) == (
        "signed.pdf",
        "application/pdf",
        "evaluation",
    )
    written = [c for c in data["consents"] if c["method"] == "written"]
    assert [c["documents"] for c in written] == [["signed.pdf"]]
    assert "form bytes" not in json.dumps(data)


def test_export_for_the_person_themself_is_audited_as_the_participant(harbor: Any, sam: Participant) -> None:
    with scopes_disabled():
        data = services.participant_export(acting_user=None, participant=sam)
    assert data["participant"]["preferred_name"] == "Sam Sample"
    event = AuditEvent.objects.filter(action="participant.self_export").get()
    assert (event.actor_id, event.actor_role, event.object_id) == (None, "participant", str(sam.pk))


# --- core/pdf.py ---------------------------------------------------------------------------------


def test_text_is_escaped_once_and_keeps_line_breaks() -> None:
    assert text("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert text("one\r\ntwo\nthree") == "one<br/>two<br/>three"
    assert text("bell\x07 null\x00 tab\t") == "bell null tab\t"
    assert text(None) == ""
    assert text(42) == "42"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("form.pdf", "attachment; filename=\"form.pdf\"; filename*=UTF-8''form.pdf"),
        (
            'a"b\\c;d.pdf',
            "attachment; filename=\"a_b_c_d.pdf\"; filename*=UTF-8''a%22b%5Cc%3Bd.pdf",
        ),
        (
            "Łódź\r\nSet-Cookie: x.pdf",
            "attachment; filename=\"odzSet-Cookie_ x.pdf\"; filename*=UTF-8''%C5%81%C3%B3d%C5%BASet-Cookie%3A%20x.pdf",
        ),
        ("日本.png", "attachment; filename=\".png\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.png"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''"),
    ],
)
def test_attachment_disposition(name: str, header: str) -> None:
    assert attachment_disposition(name) == header
    assert "\r" not in header and "\n" not in header


def test_builder_renders_every_kind_of_block_and_empty_ones() -> None:
    doc = PdfDocument(
        title="Letter", organisation="Harbor & Co", created_at=timezone.now(), footer_label="Harbor & Co · today"
    )
    doc.notice("Read this first.", title="Notice")
    doc.heading("Attendance")
    doc.paragraph("Dear <name>,")
    doc.details([("Group", "Tuesday circle"), ("Seats", None)])
    doc.table(["Date", "Present"], [["1 May", "yes"], ["8 May", ["a", "b"]]], widths=[1, 2])
    doc.table(["Empty"], [], empty="Nothing yet")
    doc.bullets([], empty="No items")
    doc.bullets(["one", "two"])
    words = flat(pdf_text(doc.render())[0])
    for expected in [
        "Notice Read this first.",
        "Dear <name>,",
        "Tuesday circle",
        "a, b",
        "Nothing yet",
        "No items",
        "Page 1 of 1",
        "Harbor & Co · today",
    ]:
        assert expected in words, expected
    assert PdfReader(io.BytesIO(doc.render())).metadata.title == "Letter"
    # An empty document is still a valid one-page PDF.
    empty = PdfDocument(title="x", organisation="o", created_at=timezone.now(), footer_label="o").render()
    assert len(PdfReader(io.BytesIO(empty)).pages) == 1
