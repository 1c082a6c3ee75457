"""Warm-line routes: lines. Staff routes live under app/<slug:org_slug>/warmline/lines/; the public
line page under directory/lines/<org>/<line>/."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import lines as views

staff = "app/<slug:org_slug>/warmline/lines/"
line = staff + "<uuid:line_id>/"

urlpatterns: list[URLPattern] = [
    path(staff, views.line_list, name="line_list"),
    path(staff + "new/", views.line_create, name="line_create"),
    path(line, views.line_detail, name="line_detail"),
    path(line + "edit/", views.line_edit, name="line_edit"),
    path(line + "hours/", views.line_hours, name="line_hours"),
    path(line + "closures/new/", views.closure_add, name="closure_add"),
    path(line + "closures/<uuid:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("directory/lines/<slug:org_slug>/<slug:line_slug>/", views.public_line, name="public_line"),
]
