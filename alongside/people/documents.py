"""Signed written consent forms, uploaded (DOMAIN.md §5; SECURITY.md "uploads type/size-checked and
never served inline").

A file is accepted only when its *content* is a PDF, PNG or JPEG: the name and the browser's content
type are never trusted. It is stored encrypted (base64 inside an ``EncryptedTextField``, so key
rotation and the raw-column test cover it) with its SHA-256, and only ever served as a download.
Every upload, download and removal is audited (identifiers only).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import unicodedata
import warnings
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from alongside.accounts.access import parse_uuid_or_404
from alongside.audit.services import record
from alongside.people.models import Consent, ConsentDocument, Participant
from alongside.people.services import refuse_if_restricted

if TYPE_CHECKING:
    from alongside.accounts.models import User

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ALLOWED_TYPES = (PDF, PNG, JPEG)
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
MAX_FILENAME = 100
# A 600 dpi scan of a Letter or A4 page is about 35 million pixels; anything far beyond that is not
# a consent form, and decoding it could exhaust memory (a "decompression bomb").
MAX_IMAGE_PIXELS = 60_000_000
# A PDF ends with %%EOF; readers accept it within the last 1024 bytes (trailing newlines, padding).
PDF_TRAILER_WINDOW = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# Characters that mean something to a file system or a header, beside control characters.
_UNSAFE_IN_NAME = re.compile(r'[<>:"/\\|?*;]')


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _detect_type(data: bytes) -> str:
    """The content type the bytes really are, or a ValidationError."""
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
            raise ValidationError(
                {"document": _("This PDF looks incomplete or damaged. Try saving or scanning it again.")}
            )
        return PDF
    if data.startswith(_PNG_SIGNATURE) or data.startswith(_JPEG_SIGNATURE):
        return _check_image(data)
    raise ValidationError({"document": _("Upload a PDF, PNG or JPEG file. This file is not one of those.")})


def _check_image(data: bytes) -> str:
    damaged = ValidationError(
        {"document": _("This image looks incomplete or damaged. Try saving, scanning or photographing it again.")}
    )
    too_big = ValidationError(
        {
            "document": _(
                "This image has too many pixels (more than %(megapixels)s million). "
                "Scan or photograph it at a lower resolution."
            )
            % {"megapixels": MAX_IMAGE_PIXELS // 1_000_000}
        }
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                # Opening reads only the header: check the size before decoding anything.
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise too_big
                kind = PNG if image.format == "PNG" else JPEG
                image.verify()  # PNG: chunk structure and checksums
            if kind == JPEG:
                # JPEG has no checksums: decode it, at 1/8 scale (cheap), to find a broken body.
                with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise damaged from None
    return kind


def safe_filename(name: str, content_type: str) -> str:
    """The last path segment, without control or special characters, at most 100 characters,
    ending in an extension that matches the detected type."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_IN_NAME.sub("_", name).strip().strip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    extensions = EXTENSIONS[content_type]
    if "." + ext.lower() in extensions:
        ext = "." + ext.lower()
    else:
        stem, ext = name, extensions[0]
    stem = stem.strip().rstrip(".") or _("consent-form")
    return stem[: MAX_FILENAME - len(ext)].rstrip() + ext


def validate_upload(upload: UploadedFile) -> tuple[str, str, bytes]:
    """Check an uploaded file; return its safe filename, its real content type and its bytes.

    Raises ``ValidationError({"document": ...})`` with a message the person can act on.
    """
    limit = max_upload_bytes()
    too_large = ValidationError(
        {
            "document": _("This file is larger than %(limit)s MB. Save or scan it smaller (for example as a PDF).")
            % {"limit": _megabytes(limit)}
        }
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    # Never read more than one byte past the limit, whatever the declared size says.
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError({"document": _("This file is empty. Choose the scanned or photographed signed form.")})
    content_type = _detect_type(data)
    return safe_filename(upload.name or "", content_type), content_type, data


@transaction.atomic
def consent_document_attach(*, acting_user: User, consent: Consent, upload: UploadedFile) -> ConsentDocument:
    """Keep the signed form for a consent: checked, encrypted, audited ``consent_document.upload``."""
    refuse_if_restricted(consent.participant)
    filename, content_type, data = validate_upload(upload)
    document = ConsentDocument.objects.create(
        organisation_id=consent.organisation_id,
        participant_id=consent.participant_id,
        consent=consent,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=base64.b64encode(data).decode("ascii"),
        uploaded_by=acting_user,
        uploaded_at=timezone.now(),
    )
    record(acting_user, "consent_document.upload", document)
    return document


def consent_documents(participant: Participant) -> QuerySet[ConsentDocument]:
    """A person's uploaded forms, newest first, without their content (it is large and P3).

    A form belongs to the person its consent belongs to: when records are merged the consent
    moves, and its forms follow it here even if their own ``participant`` was not updated.
    """
    return (
        ConsentDocument.objects.filter(Q(participant=participant) | Q(consent__participant=participant))
        .defer("content")
        .select_related("uploaded_by", "consent")
        .order_by("-uploaded_at")
    )


def participant_document(participant: Participant, document_id: Any) -> ConsentDocument | None:
    """One of the person's forms, with its content, or None (the caller answers 404)."""
    return (
        ConsentDocument.objects.filter(Q(participant=participant) | Q(consent__participant=participant))
        .filter(pk=parse_uuid_or_404(document_id))
        .first()
    )


@transaction.atomic
def consent_document_read(*, acting_user: User, document: ConsentDocument) -> bytes:
    """The file's bytes, for a download: a P3 read, audited ``consent_document.download``."""
    data = base64.b64decode(document.content)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        # The encryption is authenticated, so this means a bug, not tampering: refuse to serve it.
        raise ValueError(f"consent document {document.pk} does not match its checksum")
    record(acting_user, "consent_document.download", document)
    return data


@transaction.atomic
def consent_document_delete(*, acting_user: User, document: ConsentDocument) -> None:
    """Remove a wrongly uploaded form. Audited ``consent_document.delete`` (the row id stays in the log)."""
    record(acting_user, "consent_document.delete", document)
    document.delete()
