"""After-commit change listeners: how one app hears of another's writes without importing it.

Groups and warm lines each keep one ``ChangeListeners``; the directory registers its sync there
(``DirectoryConfig.ready``), so the app that writes never imports the directory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import transaction

log = logging.getLogger("alongside.core.listeners")

T = TypeVar("T")


class ChangeListeners(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._listeners: list[Callable[[T], Any]] = []

    def register(self, fn: Callable[[T], Any]) -> Callable[[T], Any]:
        """``fn(obj)`` is called after the commit of each write that reports ``obj`` changed.
        Registering the same function twice has no effect. Returns ``fn`` (a decorator)."""
        if fn not in self._listeners:
            self._listeners.append(fn)
        return fn

    def unregister(self, fn: Callable[[T], Any]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def changed(self, obj: T) -> None:
        """Call every listener with ``obj`` once the current transaction commits (never if it
        rolls back). A failing listener is logged and never undoes or hides the committed change."""

        def notify() -> None:
            for fn in list(self._listeners):
                try:
                    fn(obj)
                except Exception:
                    log.exception(
                        "%s change listener %s failed for %s",
                        self.what,
                        getattr(fn, "__name__", fn),
                        getattr(obj, "pk", None),
                    )

        transaction.on_commit(notify)
