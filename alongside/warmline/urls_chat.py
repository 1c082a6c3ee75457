"""Warm-line routes: chat (public chat page, polling fallback, the peer console)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
