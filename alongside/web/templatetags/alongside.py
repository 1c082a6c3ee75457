from __future__ import annotations

from django import template

from alongside.web.forms import LANGUAGE_CHOICES
from alongside.web.forms import crisis_href as _crisis_href

register = template.Library()


@register.filter
def crisis_href(option: dict[str, str]) -> str:
    return _crisis_href(option)


@register.filter
def language_names(codes: list[str]) -> str:
    """["en", "es"] → "English, Spanish" in the reader's language."""
    names = dict(LANGUAGE_CHOICES)
    return ", ".join(str(names.get(code, code)) for code in codes)
