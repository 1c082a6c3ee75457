from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.accounts import services
from alongside.accounts.models import User


class Command(BaseCommand):
    help = "API tokens: `alongside token create --email EMAIL [--name NAME]` prints a new token once."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token for a person and print it once.")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account has the email {email}")
        _token, plain = services.api_token_create(acting_user=user, user=user, name=options["name"])
        self.stdout.write(plain)
