"""Backups and restores of the configured database, and the checks that prove a restore (REL-4).

SQLite: the online backup API (``sqlite3.Connection.backup``) into a single self-contained file,
then ``PRAGMA integrity_check`` on the copy. PostgreSQL: ``pg_dump -Fc`` (custom format), read back
with ``pg_restore --list``. The password reaches the client tools through ``PGPASSWORD`` in their
environment, never through their command line (which every user of the machine can read).

Backups hold ciphertext for every ``EncryptedTextField`` but **not** the keys: those are kept
separately (``ALONGSIDE_ENCRYPTION_KEYS``), so a stolen backup alone does not reveal P3 data.
``check_restored`` therefore decrypts a sample of each encrypted field after a restore: a restore
with the wrong keys fails loudly instead of leaving data that nobody can read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
KEYS_MISMATCH = "restored data cannot be decrypted with the configured ALONGSIDE_ENCRYPTION_KEYS"

# Connection OPTIONS that libpq also reads from the environment (used by pg_dump and pg_restore).
_LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    sha256: str


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)


def vendor() -> str:
    """``sqlite`` or ``postgresql`` (anything else is refused)."""
    name = connections[DEFAULT_DB_ALIAS].vendor
    if name not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def describe(path: Path) -> BackupFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return BackupFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest())


# --- Backup -----------------------------------------------------------------------------------


def backup(out_path: Path, *, force: bool = False) -> BackupFile:
    """Write a backup of the configured database to ``out_path`` (mode 0600).

    The copy is made in a temporary file beside ``out_path`` and only moved into place once it has
    been checked, so a failed backup never leaves a partial file (nor replaces a good one).
    """
    engine = vendor()
    if out_path.is_dir():
        raise BackupError(f"{out_path} is a directory; give the path of the backup file to write")
    if (out_path.exists() or out_path.is_symlink()) and not force:
        raise BackupError(f"{out_path} already exists; pass --force to overwrite it")
    if not out_path.parent.is_dir():
        raise BackupError(f"directory {out_path.parent} does not exist")
    # mkstemp creates the file with mode 0600 from the start: no window where others can read it.
    fd, name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".partial", dir=out_path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if engine == "sqlite":
            _sqlite_backup(tmp)
        else:
            _pg_backup(tmp)
        os.chmod(tmp, 0o600)
        _publish(tmp, out_path, force=force)
    finally:
        tmp.unlink(missing_ok=True)
    return describe(out_path)


def _publish(tmp: Path, out_path: Path, *, force: bool) -> None:
    if force:
        os.replace(tmp, out_path)
        return
    try:
        # A hard link never replaces an existing file, so a file that appeared meanwhile is kept.
        os.link(tmp, out_path)
    except FileExistsError as exc:
        raise BackupError(f"{out_path} already exists; pass --force to overwrite it") from exc
    except OSError:
        # Filesystems without hard links: check again and rename.
        if out_path.exists():
            raise BackupError(f"{out_path} already exists; pass --force to overwrite it") from None
        os.replace(tmp, out_path)


def _sqlite_name() -> Path:
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"cannot back up the SQLite database {name!r}: give it a file path")
    return Path(name)


def _integrity_errors(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("PRAGMA integrity_check").fetchall()
    return [] if rows == [("ok",)] else [str(row[0]) for row in rows[:5]]


def _require_migrated() -> None:
    if "django_migrations" not in _target_tables():
        raise BackupError("the configured database holds no Django tables (nothing to back up; run migrate first?)")


def _sqlite_backup(tmp: Path) -> None:
    source_path = _sqlite_name()
    if not source_path.is_file():
        raise BackupError(f"the database file {source_path} does not exist (nothing to back up)")
    _require_migrated()
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    source: sqlite3.Connection = connection.connection  # the configured connection (WAL, timeout)
    target = sqlite3.connect(tmp)
    try:
        # One step: a consistent snapshot even while the app keeps writing (WAL readers don't block).
        source.backup(target)
        # A single self-contained file: no -wal/-shm companions to forget when copying it away.
        target.execute("PRAGMA journal_mode=DELETE")
        problems = _integrity_errors(target)
    finally:
        target.close()
    if problems:
        raise BackupError(f"the backup copy failed PRAGMA integrity_check: {'; '.join(problems)}")


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH; install the PostgreSQL client (postgresql-client)")
    return path


def _pg_connection(db: dict[str, Any] | None = None) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for the configured database; the password only in the env."""
    if db is None:
        db = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    args = [f"--dbname={db['NAME']}"]
    if db.get("HOST"):
        args.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        args.append(f"--port={db['PORT']}")
    if db.get("USER"):
        args.append(f"--username={db['USER']}")
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option, variable in _LIBPQ_ENV.items():
        value = (db.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    # Never prompt for a password: a missing one is an error, not a hung nightly job.
    args.append("--no-password")
    return args, env


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        tail = "; ".join(detail[-5:]) if detail else f"exit status {result.returncode}"
        raise BackupError(f"{what}: {tail}")
    return result.stdout


def _pg_backup(tmp: Path) -> None:
    _require_migrated()
    args, env = _pg_connection()
    _run([_pg_tool("pg_dump"), "--format=custom", f"--file={tmp}", *args], env, "pg_dump failed")
    # Read the archive's table of contents back: a truncated or unreadable dump fails here.
    _run([_pg_tool("pg_restore"), "--list", str(tmp)], env, "the new dump cannot be read back (pg_restore --list)")


# --- Restore ----------------------------------------------------------------------------------


def _kind_of(path: Path) -> str:
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup made by `alongside backup` (neither SQLite nor pg_dump -Fc)")


def _target_tables() -> list[str]:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def restore(in_path: Path, *, replace: bool = False) -> BackupFile:
    """Replace the configured database's contents with the backup at ``in_path``.

    Refuses a database that already holds tables unless ``replace``. Run ``check_restored`` after.
    """
    engine = vendor()
    kind = _kind_of(in_path)
    if kind != engine:
        raise BackupError(f"{in_path} is a {_NAMES[kind]} backup, but the configured database is {_NAMES[engine]}")
    source = describe(in_path)
    if engine == "sqlite":
        src = _sqlite_open_backup(in_path)
        try:
            _refuse_unless_empty(replace)
            _sqlite_restore(src)
        finally:
            src.close()
        return source
    args, env = _pg_connection()
    listing = _run([_pg_tool("pg_restore"), "--list", str(in_path)], env, f"{in_path} is not a readable pg_dump backup")
    in_backup = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    if "django_migrations" not in in_backup:
        raise BackupError(f"{in_path} is not a usable backup (it holds no Django tables)")
    extra = sorted(set(_refuse_unless_empty(replace)) - in_backup)
    if extra:
        # pg_restore --clean drops only what the dump holds: these would survive and mix with it.
        raise BackupError(
            f"the configured database has tables that are not in the backup ({', '.join(extra[:10])}"
            f"{', ...' if len(extra) > 10 else ''}); restore into a new, empty database instead (createdb)"
        )
    connections.close_all()
    _run(
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(in_path)],
        env,
        "pg_restore failed (nothing was changed: it runs as one transaction)",
    )
    return source


def _refuse_unless_empty(replace: bool) -> list[str]:
    tables = _target_tables()
    if tables and not replace:
        raise BackupError(
            f"the configured database is not empty ({len(tables)} tables); pass --yes to replace its contents"
        )
    return tables


def _sqlite_open_backup(path: Path) -> sqlite3.Connection:
    try:
        src = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        problems = _integrity_errors(src)
        has_migrations = src.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as an SQLite backup: {exc}") from exc
    if problems or not has_migrations:
        src.close()
        why = f"PRAGMA integrity_check: {'; '.join(problems)}" if problems else "it holds no Django tables"
        raise BackupError(f"{path} is not a usable backup ({why})")
    return src


def _sqlite_restore(src: sqlite3.Connection) -> None:
    target_path = _sqlite_name()
    connections.close_all()
    target = sqlite3.connect(target_path, timeout=20)
    try:
        # The backup API writes every page in one transaction: all of the backup, or nothing.
        src.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        problems = _integrity_errors(target)
    finally:
        target.close()
    if problems:
        raise BackupError(f"the restored database failed PRAGMA integrity_check: {'; '.join(problems)}")


# --- Checks after a restore -------------------------------------------------------------------


def check_restored() -> CheckReport:
    """``migrate --check``, ``audit verify`` and a decryption sample; raises BackupError on the first failure."""
    from django.db.migrations.executor import MigrationExecutor

    from alongside.audit.services import verify
    from alongside.core.crypto import DecryptionError, encrypted_fields

    report = CheckReport()
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        first = plan[0][0]
        raise BackupError(
            f"the restored database has {len(plan)} unapplied migrations (first: {first.app_label}.{first.name});"
            " run `alongside migrate`, then `alongside restore --check-only`"
        )
    report.lines.append("migrations: none unapplied")

    problems = list(verify())
    if problems:
        raise BackupError(f"audit log verification failed on the restored data: first bad entry: {problems[0]}")
    report.lines.append("audit log intact")

    sampled = 0
    for model, fields in encrypted_fields():
        for enc in fields:
            rows = model._base_manager.filter(**{f"{enc.name}__isnull": False}).values_list(enc.attname, flat=True)
            try:
                value = rows.order_by("pk").first()
            except DecryptionError as exc:
                raise BackupError(
                    f"{KEYS_MISMATCH} ({model._meta.label}.{enc.name}). Configure the keys that were in use"
                    " when the backup was made (they are kept apart from backups), then run"
                    " `alongside restore --check-only`"
                ) from exc
            except ImproperlyConfigured as exc:
                raise BackupError(f"{KEYS_MISMATCH}: {exc}") from exc
            if value is not None:
                sampled += 1
    if sampled:
        report.lines.append(f"encrypted values decrypt with the configured keys ({sampled} fields sampled)")
    else:
        report.lines.append("no encrypted values stored yet: nothing to decrypt")
    return report
