"""Web address names ("slugs") unique within an organisation: groups and warm lines use them in their
public addresses. One rule for both: lower-case letters, digits and hyphens, up to 80 characters; a
name typed by a person is checked, and a missing one is made from the object's name."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

MAX_LENGTH = 80


def unique_slug(existing: QuerySet[Any], base: str, *, fallback: str) -> str:
    """``base`` (or ``fallback``), with -2, -3, … added until no row of ``existing`` has it."""
    base = (base or fallback)[:72].strip("-") or fallback
    taken = set(existing.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def clean_slug(
    errors: dict[str, str],
    value: Any,
    *,
    existing: QuerySet[Any],
    instance: Any,
    name: str,
    fallback: str,
    taken_message: str,
) -> str:
    """The slug to save: ``value`` checked (errors["slug"] set when it is not usable), the instance's
    own when none is given, or one made from ``name``. ``existing`` is the organisation's rows."""
    slug = value or ""
    if not isinstance(slug, str):
        errors["slug"] = _("Use lower-case letters, numbers and hyphens.")
        slug = ""
    slug = slug.strip()
    if slug:
        others = existing.exclude(pk=instance.pk) if instance is not None else existing
        if slugify(slug) != slug or len(slug) > MAX_LENGTH:
            errors["slug"] = _("Use lower-case letters, numbers and hyphens, up to 80 characters.")
        elif others.filter(slug=slug).exists():
            errors["slug"] = taken_message
        return slug
    if instance is not None:
        return str(instance.slug)
    return unique_slug(existing, slugify(name), fallback=fallback) if name else ""
