"""Sign-in, second factor, lockout, password reset, invitations and session limits."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import Invitation, Membership, RecoveryCode, TOTPDevice, User
from alongside.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, 0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def with_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": email, "password": password})


# --- Password step --------------------------------------------------------------------------


def test_password_then_code_reaches_the_staff_home(harbor: Any) -> None:
    user = harbor.user("peer")
    device = with_device(user)
    client = Client()
    response = sign_in(client, user.email.upper())  # emails are case-insensitive
    assert response.status_code == 302
    # Signed in by password only: staff pages send the person to the code step.
    page = client.get("/app/harbor/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/verify/")
    response = client.post("/accounts/verify/?next=/app/harbor/", {"code": totp_code(device), "next": "/app/harbor/"})
    assert response.status_code == 302 and response["Location"] == "/app/harbor/"
    assert client.get("/app/harbor/").status_code == 200


def test_wrong_password_gives_one_message_for_every_account(harbor: Any) -> None:
    client = Client()
    known = sign_in(client, harbor.user("peer").email, "wrong password!!")
    unknown = sign_in(client, "nobody@nowhere.test", "wrong password!!")
    assert known.status_code == unknown.status_code == 200
    assert "do not match an account" in known.content.decode()
    assert known.content.decode().count("do not match") == unknown.content.decode().count("do not match")


def test_a_code_is_accepted_only_once(harbor: Any) -> None:
    user = harbor.user("peer")
    device = with_device(user)
    code = totp_code(device)
    first = Client()
    sign_in(first, user.email)
    assert first.post("/accounts/verify/", {"code": code})["Location"] == "/app/"
    second = Client()
    sign_in(second, user.email)
    replay = second.post("/accounts/verify/", {"code": code})
    assert replay.status_code == 200 and "did not work" in replay.content.decode()
    assert second.get("/app/harbor/").status_code == 302


def test_wrong_codes_are_throttled(harbor: Any) -> None:
    user = harbor.user("peer")
    device = with_device(user)
    client = Client()
    sign_in(client, user.email)
    with time_machine.travel(timezone.now(), tick=False):
        client.post("/accounts/verify/", {"code": "000000"})
        # After a failure the device refuses even the right code until the back-off passes.
        response = client.post("/accounts/verify/", {"code": totp_code(device)})
        assert response.status_code == 200
        device.refresh_from_db()
        assert device.throttling_failure_count == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        assert client.post("/accounts/verify/", {"code": totp_code(device)}).status_code == 302


def test_recovery_code_signs_in_once(harbor: Any) -> None:
    user = harbor.user("peer")
    with_device(user)
    codes = services.recovery_codes_generate(user=user)
    # Stored only as hashes.
    stored = list(RecoveryCode.objects.filter(device__user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert all(code.replace("-", "") not in "".join(stored) for code in codes)
    client = Client()
    sign_in(client, user.email)
    assert client.post("/accounts/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    sign_in(again, user.email)
    assert again.post("/accounts/verify/", {"code": codes[0]}).status_code == 200


def test_first_sign_in_sets_up_the_authenticator(harbor: Any) -> None:
    user = harbor.user("coordinator")
    client = Client()
    sign_in(client, user.email)
    response = client.get("/app/harbor/")
    assert response["Location"].startswith("/accounts/two-factor/")
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    bad = client.post("/accounts/two-factor/", {"code": "12345"})
    assert bad.status_code == 200 and "Enter the 6 digits" in bad.content.decode()
    done = client.post("/accounts/two-factor/", {"code": totp_code(device)})
    assert done.status_code == 200
    assert len(re.findall(r"<li>[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}</li>", done.content.decode())) == 10
    assert client.get("/app/harbor/").status_code == 200
    # The shared secret is never stored in plain text.
    device.refresh_from_db()
    raw = TOTPDevice.objects.filter(pk=device.pk).values_list("key", flat=True)
    assert raw  # decrypted through the field


def test_second_factor_cannot_be_replaced_without_passing_it(harbor: Any) -> None:
    user = harbor.user("peer")
    with_device(user)
    client = Client()
    sign_in(client, user.email)
    assert client.get("/accounts/two-factor/")["Location"] == "/accounts/verify/"


def test_demo_accounts_skip_setup_only_with_the_demo_setting(harbor: Any, settings: Any) -> None:
    user = harbor.user("peer")
    User.objects.filter(pk=user.pk).update(is_demo=True)
    client = Client()
    sign_in(client, user.email)
    assert client.get("/app/harbor/").status_code == 302
    settings.DEMO = True
    assert client.get("/app/harbor/").status_code == 200
    # An ordinary account never skips it, demo setting or not.
    other = Client()
    sign_in(other, harbor.user("coordinator").email)
    assert other.get("/app/harbor/").status_code == 302


# --- Lockout ----------------------------------------------------------------------------------


def test_lockout_after_repeated_failures_from_one_address(harbor: Any, settings: Any) -> None:
    user = harbor.user("peer")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.email, "not the password")
    locked = sign_in(client, user.email)  # even the right password
    assert locked.status_code == 429
    assert "paused" in locked.content.decode()
    # Another address is not locked out (nobody can lock out a colleague from elsewhere).
    assert sign_in(Client(REMOTE_ADDR="198.51.100.9"), user.email).status_code == 302
    # A spoofed X-Forwarded-For does not reset the counter (no proxy is trusted by default).
    spoofed = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert sign_in(spoofed, user.email).status_code == 429
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="user.locked_out").exists()


# --- Password reset ---------------------------------------------------------------------------


def test_reset_reveals_nothing_about_accounts(harbor: Any) -> None:
    client = Client()
    known = client.post("/accounts/password-reset/", {"email": harbor.user("peer").email})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@nowhere.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [harbor.user("peer").email]


def test_reset_does_not_sign_in_or_skip_the_second_factor_and_ends_sessions(harbor: Any, login_as: Any) -> None:
    user = harbor.user("peer")
    device = with_device(user)
    old_session = login_as(user)
    assert old_session.get("/app/harbor/").status_code == 200
    client = Client()
    client.post("/accounts/password-reset/", {"email": user.email})
    link = re.search(r"http://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "a brand new passphrase 42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert client.get("/app/harbor/").status_code == 302  # not signed in by the reset
    assert old_session.get("/app/harbor/").status_code == 302  # the old session ended
    fresh = Client()
    sign_in(fresh, user.email, new_password)
    assert fresh.get("/app/harbor/")["Location"].startswith("/accounts/verify/")
    assert fresh.post("/accounts/verify/", {"code": totp_code(device)}).status_code == 302
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="user.change_password", object_id=str(user.pk)).count() == 1


# --- Invitations ------------------------------------------------------------------------------


def test_invitation_makes_an_account_then_requires_setup(
    harbor: Any, login_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login_as(harbor.user("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/app/harbor/staff/invite/", {"email": "New.Peer@Example.org", "role": "peer"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    token = re.search(r"/accounts/invitation/([\w-]+)/", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    with scopes_disabled():
        invitation = Invitation.objects.get(email="new.peer@example.org")
        assert token not in invitation.token_hash
    visitor = Client()
    weak = visitor.post(
        f"/accounts/invitation/{token}/", {"full_name": "Nia", "password1": "short", "password2": "short"}
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    mismatch = visitor.post(
        f"/accounts/invitation/{token}/",
        {"full_name": "Nia", "password1": "a long passphrase 1", "password2": "another long passphrase"},
    )
    assert "different" in mismatch.content.decode()
    assert not User.objects.filter(email="new.peer@example.org").exists()
    ok = visitor.post(
        f"/accounts/invitation/{token}/",
        {"full_name": "Nia", "password1": "a long passphrase 1", "password2": "a long passphrase 1"},
    )
    assert ok.status_code == 302 and ok["Location"] == "/accounts/two-factor/"
    assert visitor.get("/app/harbor/")["Location"].startswith("/accounts/two-factor/")
    with scopes_disabled():
        assert Membership.objects.filter(user__email="new.peer@example.org", role="peer", is_active=True).exists()
    # Used once only.
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 404


def test_expired_and_withdrawn_invitations_do_not_work(harbor: Any) -> None:
    with scopes_disabled():
        invitation, token = services.invitation_create(
            acting_user=harbor.user("admin"), organisation=harbor.organisation, email="late@example.org", role="peer"
        )
        services.invitation_revoke(acting_user=harbor.user("admin"), invitation=invitation)
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 404
    with scopes_disabled():
        _inv, token2 = services.invitation_create(
            acting_user=harbor.user("admin"), organisation=harbor.organisation, email="later@example.org", role="peer"
        )
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert Client().get(f"/accounts/invitation/{token2}/").status_code == 404


def test_invite_form_rejects_bad_input(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    bad_email = admin.post("/app/harbor/staff/invite/", {"email": "not-an-email", "role": "peer"})
    assert bad_email.status_code == 400 and "valid email" in bad_email.content.decode()
    bad_role = admin.post("/app/harbor/staff/invite/", {"email": "x@example.org", "role": "overlord"})
    assert bad_role.status_code == 400 and "Select a valid choice" in bad_role.content.decode()
    existing = admin.post("/app/harbor/staff/invite/", {"email": harbor.user("peer").email, "role": "peer"})
    assert existing.status_code == 400 and "already has that role" in existing.content.decode()
    with scopes_disabled():
        assert not Invitation.objects.exists()
    assert not mail.outbox


# --- Session limits ---------------------------------------------------------------------------


def test_idle_timeout_after_30_minutes(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29)):
        assert client.get("/app/harbor/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31)):
        response = client.get("/app/harbor/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert client.get("/app/harbor/").status_code == 302


def test_absolute_session_limit(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    start = timezone.now()
    for minutes in range(20, 12 * 60, 20):  # active all day long
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/app/harbor/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=10)):
        assert client.get("/app/harbor/").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(harbor: Any, login_as: Any) -> None:
    user = harbor.user("peer")
    other = login_as(user)
    this = login_as(user)
    response = this.post(
        "/accounts/account/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password1": "new passphrase here",
            "new_password2": "new passphrase here",
        },
    )
    assert response.status_code == 302
    assert this.get("/app/harbor/").status_code == 200
    assert other.get("/app/harbor/").status_code == 302


def test_deactivation_ends_every_session(harbor: Any, login_as: Any) -> None:
    user = harbor.user("peer")
    client = login_as(user)
    assert client.get("/app/harbor/").status_code == 200
    services.user_deactivate(acting_user=harbor.user("admin"), user=user)
    assert client.get("/app/harbor/").status_code == 302
    assert not Session.objects.filter(session_key=client.session.session_key).exists()
    assert sign_in(Client(), user.email).status_code == 200  # sign-in refused


def test_removing_all_roles_ends_access_at_once(harbor: Any, login_as: Any) -> None:
    peer = harbor.user("peer")
    client = login_as(peer)
    admin = login_as(harbor.user("admin"))
    assert admin.post(f"/app/harbor/staff/{peer.pk}/", {}).status_code == 302  # no roles ticked
    assert client.get("/app/harbor/").status_code in (302, 404)


def test_last_admin_cannot_be_removed(harbor: Any, login_as: Any) -> None:
    admin_user = harbor.user("admin")
    admin = login_as(admin_user)
    response = admin.post(f"/app/harbor/staff/{admin_user.pk}/", {"roles": ["peer"]})
    assert response.status_code == 400 and "at least one admin" in response.content.decode()
    with scopes_disabled():
        assert Membership.objects.filter(user=admin_user, role="admin", is_active=True).exists()


def test_sign_out_clears_site_data(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/app/harbor/").status_code == 302
    assert client.get("/accounts/logout/").status_code == 405  # no sign-out by GET


# --- Passwords --------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["alongside.accounts.passwords.Argon2idHasher"]
    encoded = make_password("a long passphrase 1")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_password_rules(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    for bad, message in [("short", "too short"), ("password1234", "too common"), ("x" * 513, "at most 512")]:
        response = client.post(
            "/accounts/account/",
            {"form": "password", "old_password": PASSWORD, "new_password1": bad, "new_password2": bad},
        )
        assert message in response.content.decode(), message


def test_an_authorization_header_does_not_stretch_a_stale_session(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    with time_machine.travel(timezone.now() + timedelta(minutes=45)):
        response = client.get("/app/harbor/", HTTP_AUTHORIZATION="Bearer junk")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Re-authentication for sensitive changes ---------------------------------------------------


def _stay_active_for(client: Client, minutes: int) -> None:
    start = timezone.now()
    for minute in range(5, minutes + 1, 5):
        with time_machine.travel(start + timedelta(minutes=minute)):
            assert client.get("/app/harbor/").status_code == 200


def test_sensitive_changes_ask_for_the_password_again(harbor: Any, login_as: Any) -> None:
    user = harbor.user("admin")
    client = login_as(user)
    with_device(user)
    start = timezone.now()
    _stay_active_for(client, 15)
    with time_machine.travel(start + timedelta(minutes=16)):
        for url in ("/accounts/two-factor/recovery-codes/", "/accounts/account/tokens/"):
            response = client.post(url, {"name": "script"})
            assert response.status_code == 302 and response["Location"].startswith("/accounts/confirm/"), url
        assert client.get("/accounts/two-factor/")["Location"].startswith("/accounts/confirm/")
        roles = client.post(f"/app/harbor/staff/{harbor.user('peer').pk}/", {"roles": ["peer", "coordinator"]})
        assert roles["Location"].startswith("/accounts/confirm/")
        with scopes_disabled():
            assert not Membership.objects.filter(user=harbor.user("peer"), role="coordinator").exists()
        wrong = client.post("/accounts/confirm/", {"password": "not it", "next": "/accounts/account/"})
        assert wrong.status_code == 200 and "not your current password" in wrong.content.decode()
        right = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/accounts/account/"})
        assert right.status_code == 302 and right["Location"] == "/accounts/account/"
        assert client.post("/accounts/two-factor/recovery-codes/").status_code == 200
        assert client.get("/accounts/two-factor/").status_code == 200
        assert client.post(f"/app/harbor/staff/{harbor.user('peer').pk}/", {"roles": ["peer"]}).status_code == 302
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="user.reauthenticate", actor_id=user.pk).count() == 1


def test_confirm_page_rejects_off_site_next(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    response = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/account/"
