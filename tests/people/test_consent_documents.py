"""Signed written consent forms (people/documents.py, people/views/documents.py): checked by their
content, stored encrypted, only ever downloaded as attachments, inside the record scope, audited."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from alongside.audit.models import AuditEvent
from alongside.people import documents, services
from alongside.people.documents import consent_document_attach, safe_filename, validate_upload
from alongside.people.models import Consent, ConsentDocument, Participant
from tests.people.helpers import tenant_participant
from tests.people.routes_documents import sample_pdf

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


# --- Sample files -------------------------------------------------------------------------------


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's shape)."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def sam(harbor: Any) -> Participant:
    return tenant_participant(harbor)


def written_consent(tenant: Any, participant: Participant, purpose: str = "evaluation") -> Consent:
    with scopes_disabled():
        return services.consent_grant(
            acting_user=tenant.user("coordinator"),
            participant=participant,
            purpose=purpose,
            given_by="self",
            method="written",
        )


def attach(tenant: Any, consent: Consent, name: str = "signed.pdf", content: bytes | None = None) -> ConsentDocument:
    with scopes_disabled():
        return consent_document_attach(
            acting_user=tenant.user("coordinator"), consent=consent, upload=upload(name, content or sample_pdf())
        )


def doc_url(participant: Participant, document: Any, suffix: str = "") -> str:
    return f"/app/harbor/people/{participant.pk}/consent-documents/{document}/{suffix}"


def upload_url(participant: Participant, consent: Any) -> str:
    return f"/app/harbor/people/{participant.pk}/consent/{consent}/documents/"


def counts() -> tuple[int, int, int]:
    """Documents, consents and audit rows (signing in is audited too, and left out here)."""
    with scopes_disabled():
        audited = AuditEvent.objects.exclude(action__startswith="user.login").count()
        return ConsentDocument.objects.count(), Consent.objects.count(), audited


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=event_id).exclude(action__startswith="user.login").order_by("id"))


# --- What is accepted and refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_name"),
    [
        ("signed form.pdf", sample_pdf(), "application/pdf", "signed form.pdf"),
        ("photo.png", png_bytes(), "image/png", "photo.png"),
        ("scan.JPEG", jpeg_bytes(), "image/jpeg", "scan.jpeg"),
        ("scan.jpg", jpeg_bytes(), "image/jpeg", "scan.jpg"),
        # The content decides the type, and the name is made to match it.
        ("form.png", sample_pdf(), "application/pdf", "form.png.pdf"),
        ("IMG_0042", jpeg_bytes(), "image/jpeg", "IMG_0042.jpg"),
    ],
)
def test_pdf_png_and_jpeg_are_accepted_by_their_content(
    name: str, content: bytes, content_type: str, stored_name: str
) -> None:
    # The browser's content type is ignored: every upload here claims to be text.
    filename, detected, data = validate_upload(upload(name, content, "text/plain"))
    assert (filename, detected, data) == (stored_name, content_type, content)


def test_a_pdf_with_trailing_bytes_after_its_end_marker_is_accepted() -> None:
    _, detected, _ = validate_upload(upload("form.pdf", sample_pdf() + b"\r\n" + b" " * 500))
    assert detected == "application/pdf"


WRONG_TYPE = "Upload a PDF, PNG or JPEG file. This file is not one of those."
DAMAGED_IMAGE = "This image looks incomplete or damaged."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "This file is empty."),
        ("page.pdf", b"<!doctype html><html><script>alert(1)</script></html>", WRONG_TYPE),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, WRONG_TYPE),
        ("form.pdf", b"MZ\x90\x00" + sample_pdf(), WRONG_TYPE),
        ("animation.gif", gif_bytes(), WRONG_TYPE),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', WRONG_TYPE),
        ("form.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, DAMAGED_IMAGE),
        ("photo.jpg", jpeg_bytes()[:200], DAMAGED_IMAGE),
        ("cut.pdf", sample_pdf()[:-8] + b"x" * 2000, "This PDF looks incomplete or damaged."),
        ("bomb.png", png_claiming(30_000, 30_000), "This image has too many pixels (more than 60 million)."),
        ("big.png", png_claiming(9_000, 9_000), "This image has too many pixels (more than 60 million)."),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(name: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, content))
    assert list(exc.value.message_dict) == ["document"]
    assert exc.value.message_dict["document"][0].startswith(message)


def test_too_large_is_refused_without_reading_past_the_limit() -> None:
    too_big = upload("scan.pdf", sample_pdf() + b"0" * (5 * MiB))
    assert too_big.size is not None and too_big.size > 5 * MiB
    with pytest.raises(ValidationError) as exc:
        validate_upload(too_big)
    assert exc.value.message_dict["document"] == [
        "This file is larger than 5 MB. Save or scan it smaller (for example as a PDF)."
    ]

    class Lying(SimpleUploadedFile):
        """Declares a small size; only reading tells the truth."""

        reads: list[int] = []

        def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            self.reads.append(-1 if size is None else size)
            return super().read(size)

    lying = Lying("scan.pdf", b"%PDF-" + b"0" * (5 * MiB + 100), "application/pdf")
    lying.size = 10
    with pytest.raises(ValidationError):
        validate_upload(lying)
    assert Lying.reads == [5 * MiB + 1]


def test_exactly_at_the_limit_is_accepted(settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    content = b"%PDF-1.4\n" + b"0" * (1000 - 16) + b"\n%%EOF\n"
    assert len(content) == 1000
    assert validate_upload(upload("form.pdf", content))[1] == "application/pdf"
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload("form.pdf", content + b"\n"))
    assert "larger than 0.000953674 MB" in exc.value.message_dict["document"][0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\System32\\form.pdf", "form.pdf"),
        ("C:\\Users\\Pat\\Desktop\\consent.pdf", "consent.pdf"),
        ("/srv/forms/", "consent-form.pdf"),
        ("..", "consent-form.pdf"),
        ("", "consent-form.pdf"),
        ("evil\r\nX-Header: 1.pdf", "evilX-Header_ 1.pdf"),
        ('quote"semi;colon<>.pdf', "quote_semi_colon__.pdf"),
        ("Zoë's form.pdf", "Zoë's form.pdf"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
        ("form.pdf.exe", "form.pdf.exe.pdf"),
    ],
)
def test_filenames_lose_paths_and_special_characters(name: str, expected: str) -> None:
    result = safe_filename(name, "application/pdf")
    assert result == expected
    assert len(result) <= 100 and "/" not in result and "\\" not in result


def test_a_path_sent_in_the_upload_never_reaches_the_stored_name(harbor: Any, sam: Participant) -> None:
    consent = written_consent(harbor, sam)
    document = attach(harbor, consent, name="..\\..\\secret\\dir\\scan.pdf")
    assert document.filename == "scan.pdf"


# --- Storage ------------------------------------------------------------------------------------


def test_stored_encrypted_with_its_checksum_and_audited(harbor: Any, sam: Participant) -> None:
    consent = written_consent(harbor, sam)
    content = sample_pdf("Sam Sample signed here")
    mark = last_event_id()
    document = attach(harbor, consent, content=content)
    assert (document.content_type, document.size, document.sha256) == (
        "application/pdf",
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content FROM people_consentdocument WHERE id = %s",
            [document.pk.hex if connection.vendor == "sqlite" else document.pk],
        )
        raw = cursor.fetchone()[0]
    assert raw.startswith("gAAAA")
    assert "Sam Sample" not in raw and "JVBERi0" not in raw  # neither the text nor its base64 ("%PDF-")
    events = events_since(mark)
    assert [(e.action, e.object_type, e.object_id, e.actor_id, e.organisation_id) for e in events] == [
        (
            "consent_document.upload",
            "people.consentdocument",
            str(document.pk),
            harbor.user("coordinator").pk,
            harbor.organisation.pk,
        )
    ]


def test_a_restricted_record_takes_no_new_forms(harbor: Any, sam: Participant) -> None:
    consent = written_consent(harbor, sam)
    with scopes_disabled():
        Participant.objects.filter(pk=sam.pk).update(erasure_requested_at=timezone.now())
        consent.refresh_from_db()
        with pytest.raises(ValidationError) as exc:
            consent_document_attach(
                acting_user=harbor.user("coordinator"), consent=consent, upload=upload("a.pdf", sample_pdf())
            )
    assert "participant" in exc.value.message_dict
    assert not ConsentDocument.objects.exists()


def test_forms_follow_their_consent_when_records_are_merged(harbor: Any, sam: Participant) -> None:
    consent = written_consent(harbor, sam)
    document = attach(harbor, consent)
    with scopes_disabled():
        keep = services.participant_create(
            acting_user=harbor.user("coordinator"), organisation=harbor.organisation, preferred_name="Sam S."
        )
        services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=sam)
        assert [d.pk for d in documents.consent_documents(keep)] == [document.pk]
        found = documents.participant_document(keep, document.pk)
        assert found is not None and found.pk == document.pk


# --- Download -----------------------------------------------------------------------------------


def test_download_is_always_an_attachment_with_safe_headers(harbor: Any, sam: Participant, login_as: Any) -> None:
    consent = written_consent(harbor, sam)
    content = png_bytes()
    document = attach(harbor, consent, name="Zoë's signed form.png", content=content)
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    mark = last_event_id()
    response = client.get(doc_url(sam, document.pk))
    assert response.status_code == 200
    assert response.content == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Zoe's signed form.png\"; filename*=UTF-8''Zo%C3%AB%27s%20signed%20form.png"
    )
    assert response["Content-Length"] == str(len(content))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "no-store, no-cache, must-revalidate, private, max-age=0"
    events = events_since(mark)
    assert [(e.action, e.object_type, e.object_id, e.actor_id, e.organisation_id) for e in events] == [
        (
            "consent_document.download",
            "people.consentdocument",
            str(document.pk),
            coordinator.pk,
            harbor.organisation.pk,
        )
    ]


def test_download_follows_the_record_scope(harbor: Any, riverbend: Any, sam: Participant, login_as: Any) -> None:
    consent = written_consent(harbor, sam)
    document = attach(harbor, consent)
    with scopes_disabled():
        robin = services.participant_create(
            acting_user=harbor.user("coordinator"), organisation=harbor.organisation, preferred_name="Robin"
        )
    robin_document = attach(harbor, written_consent(harbor, robin))
    peer = login_as(harbor.user("peer"))  # Sam is on this peer's caseload; Robin is not
    assert peer.get(doc_url(sam, document.pk)).status_code == 200
    before = AuditEvent.objects.filter(action="consent_document.download").count()
    assert peer.get(doc_url(robin, robin_document.pk)).status_code == 404
    assert peer.get(doc_url(robin, "00000000-0000-0000-0000-000000000000")).status_code == 404
    # Robin's form under Sam's record is not Sam's: the same 404 as a missing id.
    assert peer.get(doc_url(sam, robin_document.pk)).status_code == 404
    assert peer.get(doc_url(sam, "not-a-uuid")).status_code == 404
    assert login_as(harbor.user("supervisor")).get(doc_url(sam, document.pk)).status_code == 200
    for role in ("funder", "referrer"):
        assert login_as(harbor.user(role)).get(doc_url(sam, document.pk)).status_code == 403
    assert login_as(riverbend.user("admin")).get(doc_url(sam, document.pk)).status_code == 404
    assert AuditEvent.objects.filter(action="consent_document.download").count() == before + 1


def test_download_is_get_only(harbor: Any, sam: Participant, login_as: Any) -> None:
    document = attach(harbor, written_consent(harbor, sam))
    assert login_as(harbor.user("coordinator")).post(doc_url(sam, document.pk)).status_code == 405


# --- Upload pages -------------------------------------------------------------------------------


def test_upload_for_a_consent_on_the_profile(harbor: Any, sam: Participant, login_as: Any) -> None:
    consent = written_consent(harbor, sam)
    peer = login_as(harbor.user("peer"))
    page = peer.get(f"/app/harbor/people/{sam.pk}/")
    html = page.content.decode()
    assert 'id="consent-documents-h"' in html and "No signed forms uploaded." in html
    assert f'action="{upload_url(sam, consent.pk)}"' in html and 'enctype="multipart/form-data"' in html
    response = peer.post(upload_url(sam, consent.pk), {"document": upload("Signed page.jpg", jpeg_bytes())})
    assert response.status_code == 302
    assert response["Location"] == f"/app/harbor/people/{sam.pk}/#consent-documents-h"
    with scopes_disabled():
        document = ConsentDocument.objects.get()
    assert (document.consent_id, document.participant_id, document.uploaded_by) == (
        consent.pk,
        sam.pk,
        harbor.user("peer"),
    )
    html = peer.get(f"/app/harbor/people/{sam.pk}/").content.decode()
    assert "Signed page.jpg" in html and doc_url(sam, document.pk) in html
    # A peer may not remove a form; a coordinator may.
    assert "consent-documents/" + str(document.pk) + "/delete/" not in html


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "This field is required."),
        ({"document": upload("empty.pdf", b"")}, "This file is empty."),
        ({"document": upload("page.pdf", b"<html></html>")}, WRONG_TYPE),
        ({"document": upload("scan.pdf", sample_pdf() + b"0" * (5 * MiB))}, "This file is larger than 5 MB."),
    ],
)
def test_upload_bad_input(files: dict[str, Any], message: str, harbor: Any, sam: Participant, login_as: Any) -> None:
    consent = written_consent(harbor, sam)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(upload_url(sam, consent.pk), files)
    assert counts() == before
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split('id="id_document_error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert 'enctype="multipart/form-data"' in html


def test_upload_follows_the_record_scope_and_permission(harbor: Any, sam: Participant, login_as: Any) -> None:
    consent = written_consent(harbor, sam)
    with scopes_disabled():
        robin = services.participant_create(
            acting_user=harbor.user("coordinator"), organisation=harbor.organisation, preferred_name="Robin"
        )
    robin_consent = written_consent(harbor, robin)
    before = counts()
    peer = login_as(harbor.user("peer"))
    assert (
        peer.post(upload_url(robin, robin_consent.pk), {"document": upload("a.pdf", sample_pdf())}).status_code == 404
    )
    assert peer.post(upload_url(sam, robin_consent.pk), {"document": upload("a.pdf", sample_pdf())}).status_code == 404
    for role in ("supervisor", "funder", "referrer"):
        response = login_as(harbor.user(role)).post(
            upload_url(sam, consent.pk), {"document": upload("a.pdf", sample_pdf())}
        )
        assert response.status_code == 403
    assert counts() == before


# --- With the consent itself --------------------------------------------------------------------


def consent_url(participant: Participant) -> str:
    return f"/app/harbor/people/{participant.pk}/consent/"


def written(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"purpose": "evaluation", "given_by": "self", "method": "written"}
    data.update(changes)
    return data


def test_written_consent_with_its_signed_form_in_one_step(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    mark = last_event_id()
    response = client.post(consent_url(sam), written(document=upload("form.pdf", sample_pdf())))
    assert response.status_code == 302
    with scopes_disabled():
        consent = Consent.objects.get(participant=sam)
        document = ConsentDocument.objects.get()
    assert (consent.method, document.consent_id, document.filename) == ("written", consent.pk, "form.pdf")
    events = events_since(mark)
    assert [(e.action, e.object_id) for e in events] == [
        ("consent.grant", str(consent.pk)),
        ("consent_document.upload", str(document.pk)),
    ]


def test_written_consent_kept_on_paper_needs_no_upload(harbor: Any, sam: Participant, login_as: Any) -> None:
    response = login_as(harbor.user("coordinator")).post(consent_url(sam), written(form_on_file="on"))
    assert response.status_code == 302
    with scopes_disabled():
        assert Consent.objects.filter(participant=sam, method="written").count() == 1
        assert not ConsentDocument.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (written(document=upload("page.pdf", b"<html>not a form</html>")), "document", WRONG_TYPE),
        (written(document=upload("empty.pdf", b"")), "document", "This file is empty."),
        (written(), "form_on_file", "Confirm that the signed form is kept on file, or upload a scan of it."),
        (
            written(method="e_signature", signature="Sam", document=upload("form.pdf", sample_pdf())),
            "document",
            "A signed form is uploaded only for a written consent.",
        ),
        # A consent error and a good file: neither is saved.
        (
            written(purpose="share_referrer", document=upload("form.pdf", sample_pdf())),
            "recipient",
            "Name who may receive the information.",
        ),
    ],
)
def test_one_error_and_nothing_is_saved(
    data: dict[str, Any], field: str, message: str, harbor: Any, sam: Participant, login_as: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(consent_url(sam), data)
    assert counts() == before
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_the_consent_is_rolled_back_if_storing_the_form_fails(
    harbor: Any, sam: Participant, login_as: Any, monkeypatch: Any
) -> None:
    def fails(**kwargs: Any) -> None:
        raise ValidationError({"document": "Storing failed."})

    monkeypatch.setattr(documents, "consent_document_attach", fails)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(consent_url(sam), written(document=upload("form.pdf", sample_pdf())))
    assert response.status_code == 400 and "Storing failed." in response.content.decode()
    assert counts() == before  # the consent granted a moment earlier was rolled back with its audit row


# --- Removing a wrong upload --------------------------------------------------------------------


def test_a_coordinator_removes_a_wrong_upload(harbor: Any, sam: Participant, login_as: Any) -> None:
    document = attach(harbor, written_consent(harbor, sam))
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    assert f"consent-documents/{document.pk}/delete/" in client.get(f"/app/harbor/people/{sam.pk}/").content.decode()
    assert client.get(doc_url(sam, document.pk, "delete/")).status_code == 405
    mark = last_event_id()
    response = client.post(doc_url(sam, document.pk, "delete/"))
    assert response.status_code == 302
    with scopes_disabled():
        assert not ConsentDocument.objects.exists()
    events = events_since(mark)
    assert [(e.action, e.object_type, e.object_id, e.actor_id) for e in events] == [
        ("consent_document.delete", "people.consentdocument", str(document.pk), coordinator.pk)
    ]
    assert client.post(doc_url(sam, document.pk, "delete/")).status_code == 404


def test_removing_needs_the_change_permission(harbor: Any, sam: Participant, login_as: Any) -> None:
    document = attach(harbor, written_consent(harbor, sam))
    before = counts()
    for role in ("peer", "supervisor", "funder", "referrer"):
        assert login_as(harbor.user(role)).post(doc_url(sam, document.pk, "delete/")).status_code == 403
    assert counts() == before


# --- The profile stays fast ---------------------------------------------------------------------


def test_profile_queries_do_not_grow_with_forms(harbor: Any, sam: Participant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    consent = written_consent(harbor, sam)
    attach(harbor, consent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/app/harbor/people/{sam.pk}/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(6):
        attach(harbor, written_consent(harbor, sam, purpose="research" if n % 2 else "evaluation"), name=f"f{n}.pdf")
    assert queries() == few
