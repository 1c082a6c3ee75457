"""Sign-in, second factor, password reset, invitations and the person's own account page."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from alongside.accounts import forms, services
from alongside.accounts.access import REAUTH_SESSION_KEY, has_recent_auth, parse_uuid_or_404, recent_auth_required
from alongside.accounts.models import APIToken, RecoveryCodeDevice, TOTPDevice, User
from alongside.audit.services import record
from alongside.core.policy import public, signed_in


def _safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


@method_decorator(public, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = forms.SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


sign_in = public(SignInView.as_view())


@public
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = redirect("web:home")
    # Clear what the browser kept of this session (ASVS: logout clears client-side data).
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes calls this when a username is locked from this address."""
    return render(request, "accounts/locked_out.html", status=429)


@signed_in
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Second sign-in step: a code from the authenticator app, or a recovery code."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_safe_next(request, reverse("web:app_home")))
    if not user_has_device(user):
        return redirect("accounts:setup_2fa")
    form = forms.CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        devices: list[Any] = [*TOTPDevice.objects.filter(user=user, confirmed=True)]
        devices += list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
        for device in devices:
            if device.verify_token(code):
                otp_login(request, device)
                record(user, "user.second_factor_pass", user, object_type="accounts.user")
                if isinstance(device, RecoveryCodeDevice):
                    left = device.codes.filter(used_at__isnull=True).count()
                    messages.warning(
                        request,
                        ngettext(
                            "You used a recovery code. %(left)d is left; make new ones from your account page.",
                            "You used a recovery code. %(left)d are left; make new ones from your account page.",
                            left,
                        )
                        % {"left": left},
                    )
                return redirect(_safe_next(request, reverse("web:app_home")))
        record(user, "user.second_factor_fail", user)
        form.add_error("code", _("That code did not work. Codes change every 30 seconds; try the newest one."))
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request, "")})


@signed_in
@require_http_methods(["GET", "POST"])
def setup_2fa(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan, confirm a code, then keep the recovery codes."""
    user: User = request.user  # type: ignore[assignment]
    if user_has_device(user) and not user.is_verified():  # type: ignore[attr-defined]
        # Replacing an existing authenticator needs the current one first…
        return redirect("accounts:verify")
    if user_has_device(user) and not has_recent_auth(request):
        # …and the password again, so a borrowed session cannot swap it.
        return redirect(reverse("accounts:confirm_password") + "?next=" + reverse("accounts:setup_2fa"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or request.method == "GET":
        device = services.totp_begin(user=user)
    form = forms.SetupCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.totp_confirm(user=user, device=device, code=form.cleaned_data["code"].replace(" ", "")):
            otp_login(request, device)
            codes = services.recovery_codes_generate(user=user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request, "")})
        form.add_error("code", _("That code did not match. Check the time on your phone and try the newest code."))
    qr_svg = segno.make(device.config_url(), error="m").svg_inline(scale=5, dark="#111", light="#fff")
    secret = _grouped_secret(device)
    return render(
        request,
        "accounts/setup_2fa.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": _safe_next(request, "")},
    )


def _grouped_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _account_page(request: HttpRequest) -> str:
    return reverse("accounts:account")


@signed_in
@require_POST
@recent_auth_required(_account_page)
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes (from the account page, already verified)."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_verified():  # type: ignore[attr-defined]
        raise Http404
    codes = services.recovery_codes_generate(user=user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:account")})


@signed_in
@require_http_methods(["GET", "POST"])
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Re-enter the password before a sensitive change (second factor, tokens, roles)."""
    user: User = request.user  # type: ignore[assignment]
    form = forms.ConfirmPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate() so django-axes counts failures here as at sign-in.
        if authenticate(request, username=user.email, password=form.cleaned_data["password"]) is not None:
            request.session[REAUTH_SESSION_KEY] = timezone.now().isoformat()
            record(user, "user.reauthenticate", user)
            return redirect(_safe_next(request, reverse("accounts:account")))
        form.add_error("password", _("That is not your current password."))
    return render(request, "accounts/confirm_password.html", {"form": form, "next": _safe_next(request, "")})


# --- Password reset: the same answer whether or not an account exists ---------------------------

password_reset = public(
    auth_views.PasswordResetView.as_view(
        form_class=forms.ResetRequestForm,
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        form_class=forms.ServiceSetPasswordForm,
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
        post_reset_login=False,  # a reset never signs anyone in, so it never skips the second factor
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
)


# --- Invitations -----------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None:
        # An existing account accepts by signing in as that person.
        if request.user.is_authenticated and request.user.pk == existing.pk and request.method == "POST":
            services.invitation_accept(token=token, password=None)
            messages.success(request, _("You joined %(org)s.") % {"org": invitation.organisation.name})
            return redirect("web:app_home")
        return render(
            request,
            "accounts/invitation_existing.html",
            {
                "invitation": invitation,
                "signed_in_as_invitee": request.user.is_authenticated and request.user.pk == existing.pk,
            },
        )
    form = forms.InvitationAcceptForm(request.POST if request.method == "POST" else None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = services.invitation_accept(
            token=token, password=form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("accounts:setup_2fa")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


# --- The person's own account ----------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    profile_form = forms.ProfileForm(
        request.POST if request.POST.get("form") == "profile" else None,
        initial={"full_name": user.full_name, "preferred_name": user.preferred_name, "language": user.language},
    )
    password_form = PasswordChangeForm(user, request.POST if request.POST.get("form") == "password" else None)
    if request.method == "POST" and request.POST.get("form") == "profile" and profile_form.is_valid():
        services.user_update_profile(acting_user=user, user=user, **profile_form.cleaned_data)
        messages.success(request, _("Your details are saved."))
        return redirect("accounts:account")
    if request.method == "POST" and request.POST.get("form") == "password" and password_form.is_valid():
        services.user_change_password(
            acting_user=user,
            user=user,
            new_password=password_form.cleaned_data["new_password1"],
            keep_session=request.session.session_key,
        )
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed. Every other session was signed out."))
        return redirect("accounts:account")
    context = {
        "profile_form": profile_form,
        "password_form": password_form,
        "token_form": forms.TokenForm(),
        "tokens": APIToken.objects.filter(user=user, revoked_at__isnull=True),
        "has_totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "recovery_left": sum(
            d.codes.filter(used_at__isnull=True).count() for d in RecoveryCodeDevice.objects.filter(user=user)
        ),
        "session_count": user.open_sessions.count(),
    }
    return render(request, "accounts/account.html", context)


@signed_in
@require_POST
@recent_auth_required(_account_page)
def token_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = forms.TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name of up to 100 characters."))
        return redirect("accounts:account")
    token, plain = services.api_token_create(acting_user=user, user=user, name=form.cleaned_data["name"])
    return render(request, "accounts/token_created.html", {"token": token, "plain": plain})


@signed_in
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = APIToken.objects.filter(user=user, pk=parse_uuid_or_404(token_id)).first()
    if token is None:
        raise Http404
    services.api_token_revoke(acting_user=user, token=token)
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("accounts:account")


@signed_in
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    ended = services.sessions_end_all(user=user, except_key=request.session.session_key)
    record(user, "user.end_other_sessions", user)
    messages.success(
        request,
        ngettext("Signed out of %(n)d other session.", "Signed out of %(n)d other sessions.", ended) % {"n": ended},
    )
    return HttpResponseRedirect(reverse("accounts:account"))
