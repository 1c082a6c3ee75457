"""Settings fail closed in production; every response carries the browser-safety headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3Yq9-" + "x7Rm2pL8vN4tQ1wZ6sD0fG5hJ3kA9bC2eU7iO4yT1rW8qE6" + "zz",
    "ALONGSIDE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "peers.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://peers.example.org",
    "SITE_URL": "https://peers.example.org",
    "DATABASE_URL": "postgres://alongside@db.internal:5432/alongside",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_HOST": "smtp.example.org",
    "DEFAULT_FROM_EMAIL": "Alongside <no-reply@peers.example.org>",
}


def run_alongside(env_overrides: dict[str, str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ALONGSIDE_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update({"ALONGSIDE_VAR_DIR": str(tmp_path), **env_overrides})
    return subprocess.run(
        [sys.executable, "-m", "alongside.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_passes_in_the_documented_production_configuration(tmp_path: Path) -> None:
    result = run_alongside(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "ALONGSIDE_ENCRYPTION_KEYS", "ALLOWED_HOSTS", "EMAIL_HOST", "SITE_URL"],
)
def test_production_refuses_to_start_without_a_secret(missing: str, tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_alongside(env, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(PRODUCTION_ENV["SECRET_KEY"] + "\n")
    keys = tmp_path / "keys"
    keys.write_text(PRODUCTION_ENV["ALONGSIDE_ENCRYPTION_KEYS"] + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in {"SECRET_KEY", "ALONGSIDE_ENCRYPTION_KEYS"}}
    env.update({"SECRET_KEY_FILE": str(secret), "ALONGSIDE_ENCRYPTION_KEYS_FILE": str(keys)})
    result = run_alongside(env, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    unreadable = run_alongside({**env, "SECRET_KEY_FILE": str(tmp_path / "nope")}, "check", tmp_path=tmp_path)
    assert unreadable.returncode != 0 and "SECRET_KEY_FILE" in unreadable.stderr


def test_demo_setting_is_a_deploy_warning(tmp_path: Path) -> None:
    result = run_alongside(
        {**PRODUCTION_ENV, "ALONGSIDE_DEMO": "1"}, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path
    )
    assert result.returncode != 0 and "alongside.W004" in result.stderr


def test_chat_without_redis_is_a_deploy_warning(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_alongside(env, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode != 0 and "alongside.W005" in result.stderr


def test_no_environment_runs_locally_with_generated_keys(tmp_path: Path) -> None:
    result = run_alongside({}, "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "encryption_keys").exists()


def test_csp_check_catches_a_weak_policy(settings: Any) -> None:
    from alongside.core.checks import csp_is_enforced

    assert csp_is_enforced(None) == []
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", "'unsafe-inline'"]}}
    ids = {e.id for e in csp_is_enforced(None)}
    assert {"alongside.E003", "alongside.E004"} <= ids
    settings.CONTENT_SECURITY_POLICY = {}
    assert {e.id for e in csp_is_enforced(None)} == {"alongside.E002"}


# --- Headers ----------------------------------------------------------------------------------


def assert_safety_headers(response: Any) -> None:
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "http:" not in csp and "https:" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/o/harbor/", "/accounts/login/", "/healthz", "/no-such-page", "/app/no-such-org/"]
)
def test_public_responses_carry_safety_headers(client: Any, harbor: Any, path: str) -> None:
    assert_safety_headers(client.get(path))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/app/harbor/", "/app/harbor/programs/", "/accounts/account/", "/app/harbor/access-log/"]
)
def test_signed_in_pages_are_never_cached(harbor: Any, login_as: Any, path: str) -> None:
    response = login_as(harbor.user("admin")).get(path)
    assert response.status_code == 200
    assert_safety_headers(response)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_hsts_in_production(client: Any, settings: Any, harbor: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/o/harbor/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/o/harbor/")  # never over plain HTTP


@pytest.mark.django_db
def test_no_inline_scripts_or_styles_in_pages(client: Any, harbor: Any, login_as: Any) -> None:
    import re

    pages = [
        client.get("/o/harbor/"),
        client.get("/accounts/login/"),
        login_as(harbor.user("admin")).get("/app/harbor/"),
    ]
    for page in pages:
        html = page.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert "<style" not in html and " style=" not in html and "onclick=" not in html
        # Links out (988 chat, quick exit) are navigation; nothing is *loaded* from elsewhere.
        assert not re.search(r"\bsrc=\"(https?:)?//", html)
        assert not re.search(r"<link\b[^>]*href=\"(https?:)?//", html)
