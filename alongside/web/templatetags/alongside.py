from __future__ import annotations

from django import template

from alongside.web.forms import crisis_href as _crisis_href

register = template.Library()


@register.filter
def crisis_href(option: dict[str, str]) -> str:
    return _crisis_href(option)
