"""Reads of the directory's index for other pages (the search itself is in ``search.py``)."""

from __future__ import annotations

from django.db.models import QuerySet

from alongside.accounts.models import Organisation
from alongside.directory.models import Listing, ListingKind


def organisation_groups(organisation: Organisation) -> QuerySet[Listing]:
    """The organisation's groups as the directory lists them (public fields only), by name."""
    return Listing.objects.filter(organisation=organisation, kind=ListingKind.GROUP).order_by("name", "id")
