"""Group routes. Each part of the app adds its own block below (keep them apart)."""

from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401

app_name = "groups"

org = "app/<slug:org_slug>/"
groups = org + "groups/"
public = "directory/groups/<slug:org_slug>/<slug:group_slug>/"

urlpatterns: list[URLPattern] = []

# --- Staff: groups, schedules, sessions, agreements, calendar feeds (views/staff.py) -------------

# --- Registration, the public group page, the roster, feedback, letters (views/public.py,
# views/registrations.py, views/roster.py) -----------------------------------------------------
