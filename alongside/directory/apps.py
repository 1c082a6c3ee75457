from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The public "find support near me" directory, its search index, and the feeds (Meeting
    Guide JSON, HSDS 3.0)."""

    name = "alongside.directory"
    label = "directory"
