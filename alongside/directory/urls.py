"""Directory routes. Each part adds its own block below (keep them apart)."""

from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401

app_name = "directory"

urlpatterns: list[URLPattern] = []

# --- Find support: search and listing pages (views.py) --------------------------------------------
from alongside.directory import views  # noqa: E402

urlpatterns += [
    path("directory/", views.find_support, name="find_support"),
    path("directory/listings/<uuid:listing_id>/", views.listing_detail, name="listing_detail"),
]

# --- Feeds: Meeting Guide JSON (feeds.py); the HSDS API is a ninja router in hsds_api.py ----------
from alongside.directory import feeds  # noqa: E402

urlpatterns += [
    path("directory/meeting-guide.json", feeds.meeting_guide_json, name="meeting_guide"),
]
