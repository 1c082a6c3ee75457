"""Readable PDF documents (a person's export today; attendance letters and reports later).

``PdfDocument`` is a small builder over reportlab's Platypus: headings, paragraphs, a boxed notice,
label/value details, tables and lists, with the organisation's name, the time it was made and
"Page n of N" in every footer. Every string handed to it is treated as plain text: Platypus
paragraphs are XML-like markup, so ``<`` and ``&`` are escaped here, once, and callers never write
markup. Text is set in a Unicode TrueType font (DejaVu Sans where the system has it, otherwise the
Bitstream Vera fonts bundled with reportlab), so names beyond Latin-1 print instead of failing.

``attachment_disposition`` builds the one ``Content-Disposition`` header every download uses.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import reportlab  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import LETTER  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]

# Families tried in order: (regular, bold, italic, bold italic) file paths. DejaVu Sans covers far
# more scripts (Vietnamese, Greek, Cyrillic); Vera always ships with reportlab.
_SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
_DEJAVU = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf")
_VERA = ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")

MARGIN = 18 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
NOTICE_BG = colors.HexColor("#fff4e5")
HEADER_BG = colors.HexColor("#eef2f6")

# C0/C1 control characters (except newline and tab) are not text and confuse the paragraph parser.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    italic: str


def _register(prefix: str, files: Sequence[Path]) -> Fonts:
    names = [f"{prefix}{suffix}" for suffix in ("", "-Bold", "-Italic", "-BoldItalic")]
    for name, path in zip(names, files, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(names[0], normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3])
    return Fonts(regular=names[0], bold=names[1], italic=names[2])


@cache
def fonts() -> Fonts:
    """Register the text fonts once per process and return their names."""
    for directory in _SYSTEM_FONT_DIRS:
        files = [Path(directory) / name for name in _DEJAVU]
        if all(f.is_file() for f in files):
            try:
                return _register("AlongsideDejaVu", files)
            except Exception:  # noqa: BLE001 - a damaged system font: fall back to the bundled one
                break
    bundled = Path(reportlab.__file__).parent / "fonts"
    return _register("AlongsideVera", [bundled / name for name in _VERA])


def text(value: Any) -> str:
    """Plain text made safe for a Platypus paragraph: escaped, controls removed, line breaks kept."""
    if value is None:
        return ""
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFC", str(value)))
    return escape(cleaned).replace("\r\n", "\n").replace("\n", "<br/>")


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition: attachment`` with an ASCII fallback name and the exact UTF-8 name
    (RFC 6266 / RFC 5987), so no name can break out of the header or be shown inline."""
    filename = _CONTROL.sub("", unicodedata.normalize("NFC", filename)).replace("\n", "").replace("\t", " ")
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()'-]", "_", ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class PdfDocument:
    """Build a document top to bottom, then ``render()`` it to bytes."""

    def __init__(
        self,
        *,
        title: str,
        organisation: str,
        created_at: datetime,
        footer_label: str,
        page_label: str = "Page %(page)d of %(pages)d",
        subject: str = "",
        pagesize: tuple[float, float] = LETTER,
    ) -> None:
        """``footer_label`` is printed on every page (for example "Harbor · exported 3 May 2025
        14:02"); ``page_label`` is a translated "Page %(page)d of %(pages)d"."""
        self.title = title
        self.organisation = organisation
        self.created_at = created_at
        self.footer_label = footer_label
        self.page_label = page_label
        self.subject = subject
        self.pagesize = pagesize
        self.fonts = fonts()
        self.story: list[Flowable] = []
        f = self.fonts
        self.styles = {
            "body": ParagraphStyle("body", fontName=f.regular, fontSize=10, leading=13.5, textColor=INK),
            "muted": ParagraphStyle("muted", fontName=f.regular, fontSize=9, leading=12, textColor=MUTED),
            "cell": ParagraphStyle("cell", fontName=f.regular, fontSize=8.5, leading=11, textColor=INK),
            "head": ParagraphStyle("head", fontName=f.bold, fontSize=8.5, leading=11, textColor=INK),
            "label": ParagraphStyle("label", fontName=f.bold, fontSize=9, leading=12, textColor=INK),
            "h1": ParagraphStyle("h1", fontName=f.bold, fontSize=17, leading=21, spaceAfter=6, textColor=INK),
            "h2": ParagraphStyle(
                "h2", fontName=f.bold, fontSize=13, leading=16, spaceBefore=12, spaceAfter=5, textColor=INK
            ),
            "h3": ParagraphStyle(
                "h3", fontName=f.bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4, textColor=INK
            ),
            "bullet": ParagraphStyle(
                "bullet", fontName=f.regular, fontSize=10, leading=13.5, leftIndent=12, bulletIndent=2, textColor=INK
            ),
        }

    @property
    def width(self) -> float:
        return self.pagesize[0] - 2 * MARGIN

    # --- Content ----------------------------------------------------------------------------

    def heading(self, value: str, *, level: int = 1) -> None:
        self.story.append(Paragraph(text(value), self.styles[f"h{min(max(level, 1), 3)}"]))

    def paragraph(self, value: str, *, muted: bool = False) -> None:
        self.story.append(Paragraph(text(value), self.styles["muted" if muted else "body"]))

    def spacer(self, height: float = 4 * mm) -> None:
        self.story.append(Spacer(1, height))

    def notice(self, value: str, *, title: str = "") -> None:
        """A boxed notice (a legal notice, a warning), kept on one page."""
        parts = [Paragraph(text(title), self.styles["label"])] if title else []
        parts.append(Paragraph(text(value), self.styles["body"]))
        box = Table([[parts]], colWidths=[self.width])
        box.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#b7791f")),
                    ("BACKGROUND", (0, 0), (-1, -1), NOTICE_BG),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        self.story.extend([KeepTogether([box]), Spacer(1, 4 * mm)])

    def details(self, pairs: Iterable[tuple[str, Any]], *, empty: str = "—") -> None:
        """Label/value pairs, two columns."""
        rows = [
            [Paragraph(text(label), self.styles["label"]), Paragraph(text(_display(value, empty)), self.styles["body"])]
            for label, value in pairs
        ]
        if not rows:
            self.paragraph(empty, muted=True)
            return
        table = Table(rows, colWidths=[self.width * 0.32, self.width * 0.68])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        self.story.append(table)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths: Sequence[float] | None = None,
        empty: str = "—",
    ) -> None:
        """A table with a header row repeated on every page; ``widths`` are relative weights."""
        body = [[Paragraph(text(_display(cell, "—")), self.styles["cell"]) for cell in row] for row in rows]
        if not body:
            self.paragraph(empty, muted=True)
            return
        weights = list(widths) if widths else [1.0] * len(headers)
        total = sum(weights)
        table = Table(
            [[Paragraph(text(h), self.styles["head"]) for h in headers], *body],
            colWidths=[self.width * w / total for w in weights],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        self.story.append(table)

    def bullets(self, items: Iterable[Any], *, empty: str = "—") -> None:
        values = list(items)
        if not values:
            self.paragraph(empty, muted=True)
            return
        for value in values:
            self.story.append(Paragraph(text(value), self.styles["bullet"], bulletText="•"))

    # --- Output -----------------------------------------------------------------------------

    def render(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 6 * mm,
            title=self.title,
            author=self.organisation,
            subject=self.subject,
            creator="Alongside",
        )
        story = self.story or [Paragraph("", self.styles["body"])]
        document.build(list(story), canvasmaker=self._canvas_class())
        return buffer.getvalue()

    def _canvas_class(self) -> type[Canvas]:
        builder = self

        class NumberedCanvas(Canvas):
            """Holds every page until the end, so each footer can say "Page n of N"."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._pages: list[dict[str, Any]] = []

            def showPage(self) -> None:  # noqa: N802 - reportlab's name
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self) -> None:
                total = len(self._pages)
                for state in self._pages:
                    self.__dict__.update(state)
                    builder._footer(self, self._pageNumber, total)
                    super().showPage()
                super().save()

        return NumberedCanvas

    def _footer(self, canvas: Canvas, page: int, pages: int) -> None:
        width = self.pagesize[0]
        y = MARGIN - 4 * mm
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y + 10, width - MARGIN, y + 10)
        canvas.setFillColor(MUTED)
        canvas.setFont(self.fonts.regular, 8)
        canvas.drawString(MARGIN, y, _fit(self.footer_label, self.fonts.regular, 8, self.width * 0.75))
        canvas.drawRightString(width - MARGIN, y, self.page_label % {"page": page, "pages": pages})
        canvas.restoreState()


def _display(value: Any, empty: str) -> str:
    if value is None or value == "" or value == []:
        return empty
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _fit(value: str, font: str, size: float, width: float) -> str:
    """Shorten a one-line string (with an ellipsis) to fit ``width`` points."""
    value = _CONTROL.sub("", value).replace("\n", " ")
    if pdfmetrics.stringWidth(value, font, size) <= width:
        return value
    while value and pdfmetrics.stringWidth(value + "…", font, size) > width:
        value = value[:-1]
    return value + "…"


__all__ = ["Fonts", "PdfDocument", "attachment_disposition", "fonts", "text"]
