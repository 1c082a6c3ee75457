"""``alongside token create --email EMAIL``: prints a working token once, stores only its hash."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alongside.accounts import services
from alongside.accounts.models import APIToken
from tests.api.helpers import API, ApiClient
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("token", "create", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_token_create_prints_a_working_token_once(harbor: Tenant) -> None:
    user = harbor.user("supervisor")
    output = _create("--email", "  Supervisor@Harbor.test ")
    lines = output.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("als_")
    assert output.count(token) == 1

    stored = APIToken.objects.get(user=user)
    assert stored.name == "command line"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.token_hash, stored.prefix, stored.name}

    response = ApiClient(token).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


def test_token_create_takes_a_name_and_makes_a_new_token_each_time(harbor: Tenant) -> None:
    first = _create("--email", "admin@harbor.test", "--name", "reporting script").strip()
    second = _create("--email", "admin@harbor.test").strip()
    assert first != second
    names = set(APIToken.objects.filter(user=harbor.user("admin")).values_list("name", flat=True))
    assert names == {"reporting script", "command line"}
    assert ApiClient(first).get(f"{API}/me").status_code == 200
    assert ApiClient(second).get(f"{API}/me").status_code == 200


@pytest.mark.parametrize("email", ["nobody@harbor.test", "", "admin@harbor"])
def test_unknown_email_is_a_command_error(harbor: Tenant, email: str) -> None:
    with pytest.raises(CommandError):
        _create("--email", email)
    assert not APIToken.objects.exists()


def test_deactivated_account_gets_no_token(harbor: Tenant) -> None:
    user = harbor.user("peer")
    services.user_deactivate(acting_user=None, user=user)
    with pytest.raises(CommandError):
        _create("--email", user.email)
    assert not APIToken.objects.filter(user=user).exists()


def test_email_is_required() -> None:
    with pytest.raises(CommandError):
        _create()
