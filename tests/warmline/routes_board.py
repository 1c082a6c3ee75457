"""Matrix routes of the warm line: the supervisor board (see tests/matrix.py). The board lists no
content; the conversation routes name a conversation id, which an outsider must meet as a 404."""

from __future__ import annotations

from typing import Any

from tests.matrix import Route, register
from tests.warmline.routes_chat import FIRST_LINE, tenant_conversation


def _conversation(t: Any) -> dict[str, str]:
    return {"conversation_id": str(tenant_conversation(t).pk)}


def _secrets(t: Any) -> list[str]:
    tenant_conversation(t)
    return [FIRST_LINE, "Matrix Alias"]


register(Route("warmline:board", secrets=_secrets))
register(Route("warmline:board_fragment", secrets=_secrets))
register(Route("warmline:board_conversation", objects=_conversation, secrets=_secrets))
register(Route("warmline:board_join", method="POST", objects=_conversation, secrets=_secrets))
register(
    Route(
        "warmline:board_send",
        method="POST",
        objects=_conversation,
        secrets=_secrets,
        data=lambda t: {"client_id": "matrix-1", "body": "written from outside"},
    )
)
