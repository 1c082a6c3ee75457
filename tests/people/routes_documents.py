"""Matrix routes of people/views/documents.py (see tests/matrix.py): signed consent forms."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from alongside.people import services
from alongside.people.documents import consent_document_attach
from alongside.people.models import Consent, ConsentDocument
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant

SECRET_FILENAME = "signed-consent-form-private.pdf"


def sample_pdf(marker: str = "") -> bytes:
    """The smallest file our checks accept as a PDF (header and end-of-file marker)."""
    return b"%PDF-1.4\n% " + marker.encode() + b"\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def _secret_bytes(t: Any) -> str:
    return f"private-form-bytes-{t.organisation.slug}"


def tenant_consent_document(t: Any) -> ConsentDocument:
    """The tenant's sample participant's written consent, with a signed form attached (made once)."""
    participant = tenant_participant(t)
    with scopes_disabled():
        existing = ConsentDocument.objects.filter(participant=participant).first()
        if existing is not None:
            return existing
        consent = Consent.objects.filter(participant=participant, method="written").first()
        if consent is None:
            consent = services.consent_grant(
                acting_user=t.user("coordinator"),
                participant=participant,
                purpose="evaluation",
                given_by="self",
                method="written",
            )
        upload = SimpleUploadedFile(SECRET_FILENAME, sample_pdf(_secret_bytes(t)), "application/pdf")
        return consent_document_attach(acting_user=t.user("coordinator"), consent=consent, upload=upload)


def _document(t: Any) -> dict[str, str]:
    document = tenant_consent_document(t)
    return {"participant_id": str(document.participant_id), "document_id": str(document.pk)}


def _consent(t: Any) -> dict[str, str]:
    document = tenant_consent_document(t)
    return {"participant_id": str(document.participant_id), "consent_id": str(document.consent_id)}


def _secrets(t: Any) -> list[str]:
    return [tenant_participant(t).email, SECRET_FILENAME, _secret_bytes(t)]


def _upload(t: Any) -> dict[str, Any]:
    return {"document": SimpleUploadedFile("injected.pdf", sample_pdf("injected"), "application/pdf")}


register(Route("people:consent_document_upload", objects=_consent, secrets=_secrets))
register(Route("people:consent_document_upload", method="POST", objects=_consent, secrets=_secrets, data=_upload))
register(Route("people:consent_document_download", objects=_document, secrets=_secrets))
register(Route("people:consent_document_delete", method="POST", objects=_document, secrets=_secrets))
