"""Warm-line routes. Each part keeps its own module (urls_<part>.py); this file joins them."""

from __future__ import annotations

from django.urls import URLPattern

from alongside.warmline import (
    urls_board,
    urls_chat,
    urls_contacts,
    urls_lines,
    urls_screening,
    urls_shifts,
    urls_telephony,
    urls_widget,
)

app_name = "warmline"

urlpatterns: list[URLPattern] = [
    *urls_lines.urlpatterns,
    *urls_shifts.urlpatterns,
    *urls_contacts.urlpatterns,
    *urls_screening.urlpatterns,
    *urls_chat.urlpatterns,
    *urls_telephony.urlpatterns,
    *urls_board.urlpatterns,
    *urls_widget.urlpatterns,
]
