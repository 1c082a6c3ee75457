"""Our own deploy checks: Django's --deploy does not notice a missing CSP or weak session limits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def csp_is_enforced(app_configs: Any, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        errors.append(Error("The CSP middleware is not installed.", id="alongside.E001"))
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {}) if isinstance(policy, dict) else {}
    if not directives:
        errors.append(Error("CONTENT_SECURITY_POLICY is empty: set a content security policy.", id="alongside.E002"))
        return errors
    for name in ("script-src", "style-src", "default-src"):
        if "'unsafe-inline'" in directives.get(name, []):
            errors.append(Error(f"CSP {name} allows 'unsafe-inline'.", id="alongside.E003"))
    if directives.get("frame-ancestors") != ["'none'"]:
        errors.append(Error("CSP frame-ancestors must be 'none'.", id="alongside.E004"))
    for name, sources in directives.items():
        foreign = [s for s in sources if s.startswith(("http:", "https:", "//")) or s == "*"]
        if foreign:
            errors.append(Error(f"CSP {name} allows another origin ({', '.join(foreign)}).", id="alongside.E005"))
    return errors


@register(Tags.security)
def encryption_keys_are_valid(app_configs: Any, **kwargs: Any) -> list[Any]:
    """A malformed key would otherwise surface only at the first encrypted read or write."""
    from cryptography.fernet import Fernet

    errors: list[Any] = []
    keys = list(getattr(settings, "ENCRYPTION_KEYS", []))
    if not keys:
        errors.append(Error("No field-encryption keys are configured.", id="alongside.E006"))
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"Encryption key {number} is not a Fernet key (make one with `alongside keys generate`).",
                    id="alongside.E007",
                )
            )
        if key == settings.SECRET_KEY:
            errors.append(Error("An encryption key must not be the SECRET_KEY.", id="alongside.E008"))
    return errors


@register(Tags.security, deploy=True)
def sessions_are_limited(app_configs: Any, **kwargs: Any) -> list[Any]:
    warnings: list[Any] = []
    if settings.SESSION_IDLE_TIMEOUT.total_seconds() > 30 * 60:
        warnings.append(Warning("Staff sessions should end after at most 30 idle minutes.", id="alongside.W001"))
    if settings.SESSION_COOKIE_AGE > 24 * 3600:
        warnings.append(Warning("Sessions should last at most a day.", id="alongside.W002"))
    if "Argon2" not in settings.PASSWORD_HASHERS[0]:
        warnings.append(Warning("Argon2 should be the first password hasher.", id="alongside.W003"))
    if getattr(settings, "DEMO", False):
        warnings.append(Warning("ALONGSIDE_DEMO is on: demo accounts may skip two-factor set-up.", id="alongside.W004"))
    return warnings


@register(Tags.compatibility, deploy=True)
def chat_reaches_every_process(app_configs: Any, **kwargs: Any) -> list[Any]:
    """Warm-line chat relays messages between processes through the channel layer: the in-memory
    layer reaches only its own process, so a visitor and a peer served by two processes would not
    hear each other live (they would fall back to fetching what they missed)."""
    backend = str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", ""))
    if backend.endswith("InMemoryChannelLayer"):
        return [
            Warning(
                "The channel layer is in memory: set REDIS_URL so live chat reaches every app process.",
                id="alongside.W005",
            )
        ]
    return []
