from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The public "find support near me" directory, its search index, and the feeds (Meeting
    Guide JSON, HSDS 3.0)."""

    name = "alongside.directory"
    label = "directory"

    def ready(self) -> None:
        # Every committed change to a group or a warm line refreshes its listing (neither app
        # imports the directory).
        from alongside.directory.sync import sync_group, sync_line
        from alongside.groups.services import register_change_listener
        from alongside.warmline.lines import register_change_listener as register_line_listener

        register_change_listener(sync_group)
        register_line_listener(sync_line)
