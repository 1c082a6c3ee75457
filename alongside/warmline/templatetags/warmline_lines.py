"""Template helpers of the lines part: a URL that may not exist yet, and a listing's line status."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, **kwargs: Any) -> str:
    """``{% url %}`` that gives "" when the route does not exist (yet): the public line page links
    to the chat part's ``warmline:chat_start`` only once that part has landed."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@register.filter
def phone_display(number: str) -> str:
    """A US number for reading, "(207) 555-0100" from "+12075550100"; others as stored (E.164)."""
    text = str(number or "")
    if len(text) == 12 and text.startswith("+1") and text[1:].isdigit():
        return f"({text[2:5]}) {text[5:8]}-{text[8:]}"
    return text


@register.simple_tag
def listing_line_status(listing: Any) -> str:
    """The status words of a warm-line listing made from a line ("Open now until 10 p.m."), or ""
    (two queries: the line and its closures). Results pages set ``status_text`` on their hits
    instead (``directory.search``)."""
    from alongside.directory.search import line_status_texts

    if getattr(listing, "kind", "") != "warmline" or listing.source_id is None:
        return ""
    return line_status_texts([listing.source_id]).get(listing.source_id, "")


@register.filter
def concept_labels(concepts: list[str]) -> str:
    """Screening concepts in words for people ("Means at hand or taken, Hurting themself")."""
    from alongside.warmline.screening import concept_label

    return ", ".join(concept_label(name) for name in concepts or [])
