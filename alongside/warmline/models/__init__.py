"""Warm-line models, one module per part (see docs/warmline.md):

- ``lines``: a line, its weekly hours, holidays and closures.
- ``shifts``: shifts, who is on them, swaps, and a peer's on-shift status.
- ``contacts``: the warm-line details of a call or chat contact record, and repeat-caller plans.
- ``chat``: live-chat conversations and their messages (stored before they are acknowledged).
- ``telephony``: phone routing settings, the numbers that ring, inbound calls.
- ``screening``: the organisation's crisis-screening rules.
"""

from alongside.warmline.models.chat import *  # noqa: F403
from alongside.warmline.models.contacts import *  # noqa: F403
from alongside.warmline.models.lines import *  # noqa: F403
from alongside.warmline.models.screening import *  # noqa: F403
from alongside.warmline.models.shifts import *  # noqa: F403
from alongside.warmline.models.telephony import *  # noqa: F403
