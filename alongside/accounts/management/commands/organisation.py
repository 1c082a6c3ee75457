from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alongside.accounts import services
from alongside.accounts.models import Network, Organisation, Role
from alongside.core.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Set up an organisation: `alongside organisation create --name N --slug S --admin-email E`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an organisation and invite its first admin.")
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True, help="Short name used in addresses, e.g. harbor.")
        create.add_argument("--admin-email", required=True, help="The first organisation admin (invited by email).")
        create.add_argument("--timezone", default="America/New_York")
        create.add_argument("--network", default="", help="Slug of an existing network to join (optional).")

    def handle(self, *args: Any, **options: Any) -> None:
        network = None
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(f"No network has the slug {options['network']!r}")
        if Organisation.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"An organisation already has the slug {options['slug']!r}")
        try:
            with transaction.atomic():
                organisation = services.organisation_create(
                    acting_user=None,
                    name=options["name"],
                    slug=options["slug"],
                    network=network,
                    timezone=options["timezone"],
                )
                with tenant_scope(organisation):
                    _invitation, token = services.invitation_create(
                        acting_user=None, organisation=organisation, email=options["admin_email"], role=Role.ADMIN
                    )
        except ValidationError as exc:
            messages = [f"{field}: {'; '.join(errs)}" for field, errs in exc.message_dict.items()]
            raise CommandError("Nothing was created. " + " ".join(messages)) from exc
        from django.conf import settings
        from django.urls import reverse

        self.stdout.write(self.style.SUCCESS(f"Created {organisation.name} ({organisation.slug})."))
        self.stdout.write(f"Invitation emailed to {options['admin_email']}. The link, valid once:")
        self.stdout.write(settings.SITE_URL + reverse("accounts:invitation_accept", args=[token]))
