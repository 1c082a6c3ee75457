"""No personal data in application logs or error pages (SECURITY.md "Logs")."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CANARY_EMAIL = "canary.person.7731@example.org"
CANARY_TEXT = "CANARY-lived-experience-7731"


def test_failed_sign_in_and_cross_tenant_attempts_log_no_personal_data(
    harbor: Any, riverbend: Any, login_as: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post("/accounts/login/", {"username": CANARY_EMAIL, "password": CANARY_TEXT})
    client.post("/accounts/password-reset/", {"email": CANARY_EMAIL})
    admin = login_as(harbor.user("admin"))
    admin.get(f"/app/riverbend/programs/{riverbend.program.pk}/")  # refused and logged as a warning
    admin.post("/app/harbor/settings/", {"name": CANARY_TEXT, "crisis_options": CANARY_TEXT})
    logged = "\n".join(record.getMessage() + str(record.args) for record in caplog.records)
    assert "organisation refused" in logged  # the attempt itself is logged…
    for canary in (CANARY_EMAIL, CANARY_TEXT, riverbend.program.name, harbor.user("admin").email):
        assert canary not in logged  # …but never who or what


def test_server_errors_show_nothing_sensitive(harbor: Any, login_as: Any, monkeypatch: Any, caplog: Any) -> None:
    from alongside.web import views

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(views.selectors, "programs_for", boom)
    client = login_as(harbor.user("admin"))
    client.raise_request_exception = False
    response = client.get(f"/app/harbor/programs/?q={CANARY_TEXT}")
    assert response.status_code == 500
    body = response.content.decode()
    assert "internal detail" not in body and CANARY_TEXT not in body and "Traceback" not in body
    assert "not a crisis service" in body
