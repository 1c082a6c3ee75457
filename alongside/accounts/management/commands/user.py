from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.accounts import services
from alongside.accounts.models import User


class Command(BaseCommand):
    help = "Switch an account off everywhere at once: `alongside user deactivate --email EMAIL`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deactivate = sub.add_parser("deactivate", help="Refuse sign-in and end every open session now.")
        deactivate.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No account has the email {email}")
        services.user_deactivate(acting_user=None, user=user)
        self.stdout.write(self.style.SUCCESS(f"{email} is switched off and signed out everywhere."))
