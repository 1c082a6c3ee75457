from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from alongside.accounts.demo import DEMO_PASSWORD, DemoRefused, load_demo
from alongside.groups.demo import load_groups_demo
from alongside.matching.demo import load_matching_demo
from alongside.people.demo import load_people_demo
from alongside.warmline.demo import load_warmline_demo
from alongside.workforce.demo import load_workforce_demo


class Command(BaseCommand):
    help = "Load the demo organisations (harbor, riverbend) and their people. Safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Leave a database that already holds organisations of its own untouched (make run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from alongside.accounts.models import Organisation, User

        if options["if_empty"] and Organisation.objects.exists() and not User.objects.filter(is_demo=True).exists():
            self.stdout.write("The database already holds organisations; the demo was not loaded.")
            return
        try:
            # The demo's history (safety concerns raised weeks ago, say) must not email anyone
            # today: whatever the loaders would send goes nowhere.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                logins = load_demo()
                load_people_demo()
                load_matching_demo()
                load_workforce_demo()
                load_groups_demo()
                load_warmline_demo()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if options["quiet_logins"]:
            return
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in at /accounts/login/ with:"))
        for login in logins:
            self.stdout.write(f"  {login.email:<34} {login.role:<22} {login.organisation}")
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write("Demo accounts may skip two-step sign-in set-up while ALONGSIDE_DEMO=1.")
