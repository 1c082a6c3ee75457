from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alongside.audit.services import record
from alongside.core.crypto import DecryptionError, encrypted_fields, generate_key, rotate_token


class Command(BaseCommand):
    help = "Field-encryption keys: generate a new key, or re-encrypt every row under the newest key."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="Print a new key to put first in ALONGSIDE_ENCRYPTION_KEYS.")
        sub.add_parser("rotate", help="Re-encrypt every encrypted value with the first key.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self.stdout.write(generate_key())
            return
        total = 0
        for model, fields in encrypted_fields():
            # Raw columns, across every organisation: rotation is whole-database maintenance and
            # handles ciphertext only; no plaintext reaches this command's memory as a value.
            columns = [f.attname for f in fields]
            count = 0
            for pk, *values in _raw_rows(model, columns):
                updates = {}
                for column, token in zip(columns, values, strict=True):
                    if token is None:
                        continue
                    try:
                        updates[column] = rotate_token(token)
                    except DecryptionError as exc:
                        raise CommandError(
                            f"{model._meta.label} {pk}: {column} does not decrypt with any configured key"
                        ) from exc
                if updates:
                    _write_raw(model, pk, updates)
                    count += 1
            total += count
            record(None, "keys.rotate", object_type=model._meta.label_lower)
            self.stdout.write(f"{model._meta.label}: re-encrypted {count} rows")
        self.stdout.write(self.style.SUCCESS(f"done: {total} rows re-encrypted under the newest key"))


def _raw_rows(model: Any, columns: list[str], batch: int = 500) -> Iterator[tuple[Any, ...]]:
    """Ciphertext straight from the columns (bypassing decryption), a batch at a time by key."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    pk_col = connection.ops.quote_name(model._meta.pk.column)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    last: Any = None
    while True:
        where = f"WHERE {pk_col} > %s " if last is not None else ""
        sql = f"SELECT {pk_col}, {cols} FROM {table} {where}ORDER BY {pk_col} LIMIT {int(batch)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [last] if last is not None else [])
            rows = cursor.fetchall()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


@transaction.atomic
def _write_raw(model: Any, pk: Any, updates: dict[str, str]) -> None:
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    pk_col = connection.ops.quote_name(model._meta.pk.column)
    sets = ", ".join(f"{connection.ops.quote_name(model._meta.get_field(c).column)} = %s" for c in updates)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk_col} = %s", [*updates.values(), pk])  # noqa: S608
