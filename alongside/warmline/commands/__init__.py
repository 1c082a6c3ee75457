"""The actions of ``alongside warmline <action>``, one module each.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(command, **options)``
(``command`` is the BaseCommand, for ``stdout`` and ``CommandError``). Add an action by adding its
module name to ``ACTIONS``.
"""

from __future__ import annotations

# action name (as typed) -> module in this package
ACTIONS: dict[str, str] = {
    "screen": "screen",  # the screening part
    "remind-shifts": "remind_shifts",
    "sweep-chats": "sweep_chats",  # live chat: visitors who left without a word
    "materialise-shifts": "materialise_shifts",  # shift patterns' rows, eight weeks ahead (hourly)
}
