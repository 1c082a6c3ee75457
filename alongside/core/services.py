"""The one helper every app's services share for partial updates."""

from __future__ import annotations

from typing import Any


def apply_changes(instance: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Set ``fields`` on ``instance`` (only names in ``allowed``); return the names that changed,
    for ``save(update_fields=...)`` and for deciding whether anything needs auditing."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    return changed
