"""Warm-line routes: the embeddable widget's public status (docs/warmline.md, "Embeddable widget").
The script itself is a static file, ``static/alongside/js/widget.js``."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import widget as views

urlpatterns: list[URLPattern] = [
    path("directory/lines/<slug:org_slug>/<slug:line_slug>/status.json", views.line_status_json, name="line_status"),
]
