"""Phone routing: the provider-neutral interface (``base``), its providers (``twilio``) and the
call flow's writes and reads (``calls``). See docs/warmline.md, "Phone routing".

``provider_for(config)`` returns the provider for a line's phone settings (``LinePhone``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alongside.warmline.telephony.base import Provider

PROVIDERS: dict[str, Callable[[Any], Provider]] = {}


def register_provider(name: str, factory: Callable[[Any], Provider]) -> None:
    """``factory(config)`` builds the provider for a line's phone settings."""
    PROVIDERS[name] = factory


def provider_for(config: Any) -> Provider:
    """The provider named by ``config.provider`` (a ``LinePhone``); KeyError when unknown."""
    return PROVIDERS[config.provider](config)


# Each provider module registers itself.
from alongside.warmline.telephony import twilio as _twilio  # noqa: E402, F401
