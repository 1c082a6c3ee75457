"""Warm-line routes: lines. Staff routes live under app/<slug:org_slug>/warmline/."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
