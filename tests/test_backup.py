"""The restore drill (REL-4): back up, restore into a fresh database, prove the copy is the same.

The drill runs ``python -m alongside.cli`` in subprocesses against databases of its own (pytest's
test database lives inside a transaction, and a restore replaces a whole database): under
``make test`` two SQLite files in a temporary directory; when ``DATABASE_URL`` points at PostgreSQL,
two fresh databases on that server, named after the test process (``worker_tag()``) and a random part
so that parallel workers and other runs never meet, and dropped at the end. The drill's tests stay
together on one worker (``xdist_group``), so the drill runs once.

Steps: migrate → demo data and one TOTP device (encrypted) through the services → backup →
restore into the fresh database → same tables, row counts and contents, same audit chain heads and
entries → ``audit verify`` → decryption works. Then a restore with different keys must fail
loudly, and bad input must be refused without writing anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from alongside.core.backup import KEYS_MISMATCH, PGDUMP_MAGIC, SQLITE_MAGIC, _pg_connection
from tests.conftest import worker_tag

# `make test` distributes with --dist loadgroup: the module-scoped drill is set up on one worker only.
pytestmark = pytest.mark.xdist_group("restore-drill")

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = urlsplit(DATABASE_URL).scheme in {"postgres", "postgresql", "pgsql"}

# Printed by `alongside shell -c` on each side: every table's row count and a checksum of its rows,
# the audit chain heads, `audit show --json` of every entry, and the decrypted TOTP keys (hashes only).
SNAPSHOT = """
import hashlib, io, json
from django.core.management import call_command
from django.db import connection
from alongside.accounts.models import TOTPDevice
from alongside.audit.models import AuditChainHead

def digest(value):
    return hashlib.sha256(repr(value).encode()).hexdigest()

tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))
        rows = sorted(repr(row) for row in cursor.fetchall())
        tables[table] = {"rows": len(rows), "sha256": digest(rows)}
heads = sorted((h.chain, h.seq, h.hash) for h in AuditChainHead.objects.all())
totp = sorted(TOTPDevice._base_manager.values_list("key", flat=True))
shown = io.StringIO()
call_command("audit", "show", "--last", "10000", "--json", stdout=shown)
entries = shown.getvalue().splitlines()
print(json.dumps({
    "tables": tables,
    "heads": digest(heads),
    "audit_show": digest(entries),
    "audit_entries": len(entries),
    "totp": digest(totp),
    "totp_count": len(totp),
}))
"""

MAKE_TOTP = """
from alongside.accounts import services
from alongside.accounts.models import User
services.totp_begin(user=User.objects.get(email="admin@harbor.demo"))
"""


def _new_key() -> str:
    return Fernet.generate_key().decode()


def _base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALONGSIDE_", "DATABASE_URL", "DJANGO_")) and k not in {"DEBUG", "SECRET_KEY"}
    }
    env.pop("REDIS_URL", None)
    return env


@dataclass
class Side:
    """One database of the drill and the environment that points the CLI at it."""

    env: dict[str, str] = field(repr=False)  # a copy of os.environ: keep it out of failure reports

    def run(self, *args: str, keys: str | None = None, demo: bool = False, check: bool = True) -> Any:
        env = dict(self.env)
        if keys is not None:
            env["ALONGSIDE_ENCRYPTION_KEYS"] = keys
        if demo:
            env["ALONGSIDE_DEMO"] = "1"
        result = subprocess.run(
            [sys.executable, "-m", "alongside.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"alongside {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def snapshot(self) -> dict[str, Any]:
        out = self.run("shell", "--no-imports", "-c", SNAPSHOT).stdout.strip().splitlines()
        return json.loads(out[-1])


class Postgres:
    """Fresh databases on the server of the environment's DATABASE_URL, dropped afterwards."""

    def __init__(self, url: str) -> None:
        self.parts = urlsplit(url)
        self.created: list[str] = []
        self.env = dict(os.environ)
        if self.parts.password:
            self.env["PGPASSWORD"] = self.parts.password
        self.args = ["-h", self.parts.hostname or "127.0.0.1", "-p", str(self.parts.port or 5432)]
        self.args += ["-U", self.parts.username or "postgres"]

    def create(self, name: str) -> str:
        for tool in ("createdb", "dropdb", "pg_dump", "pg_restore"):
            assert shutil.which(tool), f"{tool} is needed for the PostgreSQL drill (postgresql-client)"
        subprocess.run(["createdb", *self.args, name], env=self.env, check=True, capture_output=True, timeout=60)
        self.created.append(name)
        return urlunsplit(self.parts._replace(path=f"/{name}"))

    def drop_all(self) -> None:
        # In parallel: each DROP DATABASE waits for a checkpoint.
        drops = [
            subprocess.Popen(
                ["dropdb", *self.args, "--if-exists", "--force", name],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name in self.created
        ]
        for drop in drops:
            drop.wait(timeout=60)


@dataclass
class Drill:
    source: Side
    target: Side
    keys: str
    backup: Path
    backup_output: str
    restore_output: str


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    tmp = tmp_path_factory.mktemp("drill")
    keys = _new_key()
    base = _base_env()
    postgres = Postgres(DATABASE_URL) if ON_POSTGRES else None
    try:
        sides = []
        suffix = f"{worker_tag()}_{uuid.uuid4().hex[:8]}".lower()
        for name in ("src", "dst"):
            env = {**base, "ALONGSIDE_VAR_DIR": str(tmp / name), "ALONGSIDE_ENCRYPTION_KEYS": keys}
            if postgres is not None:
                env["DATABASE_URL"] = postgres.create(f"alongside_drill_{name}_{suffix}")
            sides.append(Side(env))
        source, target = sides
        source.run("migrate", "--no-input", "-v0")
        source.run("demo", "--quiet-logins", demo=True)
        source.run("shell", "--no-imports", "-c", MAKE_TOTP)
        out = tmp / ("alongside.dump" if postgres else "alongside.sqlite3")
        backup_output = source.run("backup", str(out)).stdout
        restore_output = target.run("restore", str(out)).stdout
        yield Drill(source, target, keys, out, backup_output, restore_output)
    finally:
        if postgres is not None:
            postgres.drop_all()


def test_backup_file_is_private_and_described(drill: Drill) -> None:
    data = drill.backup.read_bytes()
    assert data.startswith(PGDUMP_MAGIC if ON_POSTGRES else SQLITE_MAGIC)
    assert stat.S_IMODE(drill.backup.stat().st_mode) == 0o600
    assert f"size: {len(data)} bytes" in drill.backup_output
    assert f"sha256: {hashlib.sha256(data).hexdigest()}" in drill.backup_output
    assert "keys are not in this file" in drill.backup_output
    assert [p.name for p in drill.backup.parent.iterdir() if p.name.endswith(".partial")] == []


def test_restore_into_a_fresh_database_is_an_identical_copy(drill: Drill) -> None:
    assert "restore checks passed" in drill.restore_output
    assert "ok: migrations: none unapplied" in drill.restore_output
    assert "ok: audit log intact" in drill.restore_output
    assert "encrypted values decrypt with the configured keys" in drill.restore_output

    before, after = drill.source.snapshot(), drill.target.snapshot()
    assert before["totp_count"] == 1
    assert {t: v["rows"] for t, v in after["tables"].items()} == {t: v["rows"] for t, v in before["tables"].items()}
    # Every table's contents, the chain heads, every audit entry as shown, and the decrypted TOTP key.
    assert after == before
    assert before["audit_entries"] == before["tables"]["audit_auditevent"]["rows"] > 0
    assert "audit log intact" in drill.target.run("audit", "verify").stdout


def test_restore_refuses_a_database_that_is_not_empty(drill: Drill) -> None:
    result = drill.target.run("restore", str(drill.backup), check=False)
    assert result.returncode != 0
    assert "is not empty" in result.stderr and "--yes" in result.stderr


def test_restore_with_other_keys_fails_loudly(drill: Drill) -> None:
    other = drill.target.run("restore", str(drill.backup), "--yes", keys=_new_key(), check=False)
    assert other.returncode != 0
    assert KEYS_MISMATCH in other.stderr
    assert "restore checks passed" not in other.stdout
    # With the right keys configured again, the same data checks out.
    again = drill.target.run("restore", "--check-only", keys=drill.keys)
    assert "checks passed" in again.stdout


# --- Bad input: refused before anything is written (these tests have no database access) ----------


def test_restore_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "nope.sqlite3"), "--yes", stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [b"name,email\nA,a@example.org\n", b"", SQLITE_MAGIC + b"\0" * 200, PGDUMP_MAGIC + b"\x01garbage"],
    ids=["csv", "empty", "broken-sqlite", "broken-pg-dump"],
)
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="backup") as caught:
        call_command("restore", str(path), "--yes", stdout=StringIO())
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content
    assert list(tmp_path.iterdir()) == [path]


def test_backup_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    path = tmp_path / "backup.sqlite3"
    path.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="already exists; pass --force"):
        call_command("backup", str(path), stdout=StringIO())
    assert path.read_bytes() == b"yesterday's backup"
    assert list(tmp_path.iterdir()) == [path]


def test_backup_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "missing" / "backup"), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


def test_restore_needs_a_file_or_check_only() -> None:
    with pytest.raises(CommandError, match="IN_PATH"):
        call_command("restore", stdout=StringIO())


def test_postgres_password_goes_through_the_environment_never_argv() -> None:
    db = {"NAME": "alongside", "USER": "app", "PASSWORD": "s3cret-pw", "HOST": "db.internal", "PORT": 5433}
    args, env = _pg_connection({**db, "OPTIONS": {"sslmode": "verify-full", "pool": True}})
    assert not any("s3cret-pw" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret-pw" and env["PGSSLMODE"] == "verify-full"
    assert {"--dbname=alongside", "--host=db.internal", "--port=5433", "--username=app", "--no-password"} == set(args)
