"""Sign-in events go to the audit log (never the email typed or the password)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from alongside.accounts.models import User, UserSession
from alongside.audit.services import record


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        from django.utils import timezone

        request.session["alongside_auth_at"] = timezone.now().isoformat()
        request.session["alongside_last_seen"] = timezone.now().isoformat()
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(session_key=request.session.session_key, user=user)
    record(user, "user.login", user)


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    record(user, "user.logout", user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record(None, "user.login_failed", object_type="accounts.user")


@receiver(user_locked_out)
def _on_locked_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    record(None, "user.locked_out", object_type="accounts.user")
