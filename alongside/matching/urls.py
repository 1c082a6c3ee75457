from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "matching"

org = "app/<slug:org_slug>/"

urlpatterns: list = []

# person.py and mentorship.py: see helper G
