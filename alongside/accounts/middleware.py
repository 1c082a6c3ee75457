from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import user_has_device

from alongside.core.policy import API, PUBLIC


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class SessionLimitsMiddleware:
    """Ends a signed-in session after 30 idle minutes or 12 hours in all (settings)."""

    TOUCH_EVERY_SECONDS = 30

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # The API authenticates by token only and never reads the session, so its paths are exempt;
        # every other path is limited whatever headers come with it.
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            now = timezone.now()
            auth_at = _parse(request.session.get("alongside_auth_at"))
            last_seen = _parse(request.session.get("alongside_last_seen"))
            expired = (
                auth_at is None
                or last_seen is None
                or now - last_seen > settings.SESSION_IDLE_TIMEOUT
                or now - auth_at > settings.SESSION_ABSOLUTE_LIMIT
            )
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Your session has ended. Sign in again."}, status=401)
                messages.info(request, _("For your privacy you were signed out after a time. Please sign in again."))
                login_url = reverse("accounts:login")
                return HttpResponseRedirect(
                    f"{login_url}?next={request.path}" if request.method == "GET" else login_url
                )
            if last_seen is None or (now - last_seen).total_seconds() > self.TOUCH_EVERY_SECONDS:
                request.session["alongside_last_seen"] = now.isoformat()
        return self.get_response(request)


# Views a signed-in person may reach before passing the second factor.
SECOND_FACTOR_OPEN = {
    "accounts:logout",
    "accounts:verify",
    "accounts:setup_2fa",
    "accounts:recovery_codes",
}
# (confirm_password is deliberately absent: it is for people already past the second factor.)


class SecondFactorRequiredMiddleware:
    """Every staff role needs a second factor: until it is passed, only public pages and the
    second-factor pages answer. Demo accounts may skip set-up only while the demo setting is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        if getattr(view_func, "access_policy", None) in (PUBLIC, API):
            # API operations authenticate by bearer token alone; a browser session is irrelevant.
            return None
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_FACTOR_OPEN:
            return None
        if demo_exempt(user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Complete the second sign-in step first."}, status=401)
        target = "accounts:verify" if user_has_device(user) else "accounts:setup_2fa"
        url = reverse(target)
        nxt = request.get_full_path()
        if request.method == "GET" and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None):
            url = f"{url}?next={nxt}"
        return HttpResponseRedirect(url)


def demo_exempt(user: Any) -> bool:
    return bool(settings.DEMO and getattr(user, "is_demo", False) and not user_has_device(user))
