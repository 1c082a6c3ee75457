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
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, UnidentifiedImageError

from alongside.accounts.access import parse_uuid_or_404
from alongside.audit.services import record
from alongside.core.pdf import PdfDocument
from alongside.people.models import (
    Consent,
    ConsentDocument,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactMode,
    EnrolmentStatus,
    FamilyRelationship,
    Participant,
    ReferralStatus,
    ServiceModel,
)
from alongside.people.services import export_more_sections, refuse_if_restricted

if TYPE_CHECKING:
    from alongside.accounts.models import Organisation, User

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


def participant_document(
    participant: Participant, document_id: Any, *, with_content: bool = True
) -> ConsentDocument | None:
    """One of the person's forms (decrypted only ``with_content``), or None: the caller answers 404."""
    qs = ConsentDocument.objects.filter(Q(participant=participant) | Q(consent__participant=participant))
    if not with_content:
        qs = qs.defer("content")
    return qs.filter(pk=parse_uuid_or_404(document_id)).first()


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


# --- A person's export as a PDF ------------------------------------------------------------------

_RECORD_LABELS = {
    "id": _lazy("Record id"),
    "status": _lazy("Status"),
    "closed_reason": _lazy("Reason for closing"),
    "source": _lazy("How they reached us"),
    "covered_by_42_cfr_part_2": _lazy("Covered by 42 CFR Part 2"),
    "peer_supporter": _lazy("Peer supporter"),
    "created_at": _lazy("Record started"),
}


def _choice(choices: type[models.TextChoices], value: Any) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def _when(value: Any, tz: ZoneInfo) -> str:
    """An ISO date or date-time from the export, written for a reader (in the organisation's zone)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if len(str(value)) == 10:  # a date
        return formats.date_format(parsed.date(), "j M Y")
    if timezone.is_aware(parsed):
        parsed = parsed.astimezone(tz)
    return formats.date_format(parsed, "j M Y H:i")


def _yes_no(value: Any) -> str:
    if value is None:
        return _("Not asked")
    return _("Yes") if value else _("No")


def _record_rows(record_data: dict[str, Any], tz: ZoneInfo) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in record_data.items():
        label: Any = _RECORD_LABELS.get(key)
        shown: Any = value
        try:
            field = Participant._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        if isinstance(field, models.Field):
            label = label or field.verbose_name
            if field.choices:
                shown = dict(field.flatchoices).get(value, value)
        if key == "created_at" or key == "date_of_birth":
            shown = _when(value, tz)
        elif isinstance(value, bool) or (value is None and key.startswith("safe_to_")):
            shown = _yes_no(value)
        rows.append((str(label or key.replace("_", " ")).capitalize(), shown))
    return rows


def export_pdf(data: dict[str, Any], *, organisation: Organisation) -> bytes:
    """The export (``services.participant_export``) as a readable PDF: the same sections as the
    export page, the Part 2 redisclosure notice first when it applies, page numbers throughout."""
    tz = ZoneInfo(organisation.timezone)
    person = data["participant"]
    exported = _when(data["exported_at"], tz)
    doc = PdfDocument(
        title=_("Everything we hold about %(name)s") % {"name": person["preferred_name"]},
        organisation=data["organisation"],
        created_at=datetime.fromisoformat(data["exported_at"]),
        footer_label=_("%(organisation)s · exported %(when)s · confidential")
        % {"organisation": data["organisation"], "when": exported},
        page_label=_("Page %(page)d of %(pages)d"),
        subject=_("A copy of a person's record"),
    )
    if data["redisclosure_notice"]:
        doc.notice(data["redisclosure_notice"], title=_("Federal confidentiality notice (42 CFR Part 2)"))
    doc.heading(_("Everything we hold about %(name)s") % {"name": person["preferred_name"]})
    doc.paragraph(
        _("Held by %(organisation)s. This copy was made on %(when)s.")
        % {"organisation": data["organisation"], "when": exported},
        muted=True,
    )

    doc.heading(_("The record"), level=2)
    doc.details(_record_rows(person, tz))

    doc.heading(_("Programs"), level=2)
    doc.table(
        [_("Program"), _("Status"), _("Started"), _("Ended")],
        [
            [p["program"], _choice(EnrolmentStatus, p["status"]), _when(p["started_on"], tz), _when(p["ended_on"], tz)]
            for p in data["programs"]
        ],
        widths=[3, 1.5, 1.5, 1.5],
    )

    doc.heading(_("Consent"), level=2)
    doc.table(
        [
            _("Purpose"),
            _("Recipient"),
            _("Given by"),
            _("How"),
            _("Given"),
            _("Valid until"),
            _("Withdrawn on"),
            _("Signed forms"),
        ],
        [
            [
                _choice(ConsentPurpose, c["purpose"]) + (" (42 CFR Part 2)" if c["part2"] else ""),
                c["recipient"],
                _choice(ConsentGivenBy, c["given_by"]) + (f" ({c['guardian']})" if c["guardian"] else ""),
                _choice(ConsentMethod, c["method"]),
                _when(c["granted_at"], tz),
                _when(c["valid_until"], tz) or _("Until withdrawn"),
                _when(c["withdrawn_at"], tz),
                c["documents"],
            ]
            for c in data["consents"]
        ],
        widths=[2, 2, 1.6, 1.5, 1.4, 1.4, 1.4, 2],
    )
    if data["consent_documents"]:
        doc.heading(_("Signed consent forms"), level=3)
        doc.table(
            [_("File"), _("Size"), _("Uploaded"), _("Uploaded by")],
            [
                [d["filename"], filesizeformat(d["size"]), _when(d["uploaded_at"], tz), d["uploaded_by"]]
                for d in data["consent_documents"]
            ],
            widths=[3, 1, 1.5, 2],
        )

    doc.heading(_("Contacts"), level=2)
    doc.table(
        [_("When"), _("Kind of support"), _("How"), _("Minutes"), _("Peer supporter"), _("Notes")],
        [
            [
                _when(c["occurred_at"], tz),
                _choice(ServiceModel, c["kind_of_support"]) + (f" ({c['program']})" if c["program"] else ""),
                _choice(ContactMode, c["mode"]),
                c["minutes"],
                c["peer_supporter"],
                c["notes"],
            ]
            for c in data["contacts"]
        ],
        widths=[1.5, 1.7, 1.1, 0.9, 1.6, 4],
    )

    doc.heading(_("Referrals"), level=2)
    doc.table(
        [_("Received"), _("From"), _("Referred by"), _("Status"), _("Discharge date"), _("Reason")],
        [
            [
                _when(r["received_at"], tz),
                r["partner"],
                r["referrer"],
                _choice(ReferralStatus, r["status"]),
                _when(r["discharge_date"], tz),
                r["reason"],
            ]
            for r in data["referrals"]
        ],
        widths=[1.4, 1.8, 1.6, 1.5, 1.3, 3.2],
    )

    doc.heading(_("Family"), level=2)
    doc.table(
        [_("Relationship"), _("Loved one")],
        [[_choice(FamilyRelationship, f["relationship"]), f["loved_one"]] for f in data["family"]],
        widths=[1, 2],
    )
    doc.heading(_("Parents and guardians"), level=2)
    doc.table(
        [_("Name"), _("Relationship"), _("Phone"), _("Email")],
        [[g["name"], g["relationship"], g["phone"], g["email"]] for g in data["guardians"]],
        widths=[2, 1.5, 1.5, 2.5],
    )

    doc.heading(_("Lived experience they chose to share"), level=2)
    doc.bullets(
        [
            e["experience"] + (" — " + _("may be used to suggest a peer supporter") if e["use_for_matching"] else "")
            for e in data["lived_experience"]
        ],
        empty=_("Nothing shared. That is their choice."),
    )
    for section in export_more_sections(data):
        doc.heading(section["title"], level=2)
        if not section["items"]:
            doc.paragraph("—", muted=True)
        for item in section["items"]:
            doc.details(item)
            doc.spacer()
    return doc.render()
