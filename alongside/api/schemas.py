"""Shapes shared by every part of the API: the error body, paging, text checks."""

from __future__ import annotations

from django.conf import settings
from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


class PageParams(Schema):
    limit: int = Field(default=50, ge=1, le=settings.API_MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=2**31 - 1)


def no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text: catch it here as a 400, not a 500 at save time.
    if "\x00" in value:
        raise ValueError("Remove the NUL character.")
    return value
