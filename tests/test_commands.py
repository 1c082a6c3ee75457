"""Operator commands: first organisation, switching an account off, key rotation in batches."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from alongside.accounts.models import Invitation, Organisation, User
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import unscoped

pytestmark = pytest.mark.django_db


def test_organisation_create_invites_the_first_admin(django_capture_on_commit_callbacks: Any) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "organisation",
            "create",
            "--name",
            "Bay Peers",
            "--slug",
            "bay",
            "--admin-email",
            "Lead@Bay.org",
            stdout=out,
        )
    organisation = Organisation.objects.get(slug="bay")
    with unscoped("test"):
        invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == "lead@bay.org" and invitation.role == "admin" and invitation.invited_by is None
    token = re.search(r"/accounts/invitation/([\w-]+)/", out.getvalue()).group(1)  # type: ignore[union-attr]
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 200
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="organisation.create", object_id=str(organisation.pk)).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Bad Slug!"], "slug"),
        (["--admin-email", "not-an-email"], "email"),
        (["--timezone", "Nowhere/Land"], "time zone"),
        (["--network", "missing"], "No network"),
    ],
)
def test_organisation_create_bad_input_creates_nothing(args: list[str], message: str) -> None:
    base = {"--name": "Bay Peers", "--slug": "bay", "--admin-email": "lead@bay.org"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        call_command("organisation", "create", *argv, stdout=StringIO())
    assert not Organisation.objects.exists()
    with unscoped("test"):
        assert not Invitation.objects.exists()


def test_user_deactivate(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    call_command("user", "deactivate", "--email", harbor.user("peer").email.upper(), stdout=StringIO())
    assert not User.objects.get(pk=harbor.user("peer").pk).is_active
    assert client.get("/app/harbor/").status_code == 302
    with pytest.raises(CommandError, match="No account"):
        call_command("user", "deactivate", "--email", "ghost@example.org", stdout=StringIO())


def test_rotation_reads_in_batches(harbor: Any) -> None:
    from alongside.accounts.models import TOTPDevice
    from alongside.core.management.commands.keys import _raw_rows

    for user in harbor.users.values():
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    rows = list(_raw_rows(TOTPDevice, ["key"], batch=4))
    assert len(rows) == TOTPDevice.objects.count() == 6
    assert len({pk for pk, _key in rows}) == 6
