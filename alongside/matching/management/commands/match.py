"""``alongside match suggest|batch``: peer suggestions for one request, and the batch proposal for
a program's waiting list. Output names people by their record ids only (and peers by first name).
The reasons name lived experience (P3), so each showing writes an access-log row, even a dry run."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alongside.accounts.models import Membership, Organisation, Program, Role, User
from alongside.core.tenancy import tenant_scope, unscoped
from alongside.matching import selectors, services
from alongside.matching.models import MatchRequest
from alongside.matching.scoring import SCALE


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise CommandError(f"--{what} must be a UUID") from exc


def _first_name(user: User) -> str:
    name = user.preferred_name or user.full_name or ""
    return name.split(" ")[0] if name else "(no name)"


class Command(BaseCommand):
    help = "Matching: suggest peers for one request, or propose a batch assignment for a program's waiting list."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        suggest = sub.add_parser("suggest", help="Print the best peers for one match request, with reasons.")
        suggest.add_argument("--request", required=True, help="The match request's id (UUID).")
        suggest.add_argument("--limit", type=int, default=5, help="How many peers (1–20, default 5).")
        suggest.add_argument("--json", action="store_true", help="One JSON object.")
        batch = sub.add_parser(
            "batch", help="The optimal assignment for a program's waiting list; sends it out unless --dry-run."
        )
        batch.add_argument("--program", required=True, help="The program's id (UUID).")
        batch.add_argument("--dry-run", action="store_true", help="Print the proposal and its total; write nothing.")
        batch.add_argument("--json", action="store_true", help="One JSON object.")
        batch.add_argument(
            "--by", default="", help="Email of the coordinator or admin sending it out (audited as them)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "suggest":
            self.suggest(options)
        else:
            self.batch(options)

    # --- suggest ---------------------------------------------------------------------------------

    def suggest(self, options: dict[str, Any]) -> None:
        limit = options["limit"]
        if not 1 <= limit <= 20:
            raise CommandError("--limit must be between 1 and 20")
        request_id = _uuid(options["request"], "request")
        with unscoped("a command names a request by its id; its organisation's scope is entered next"):
            request = MatchRequest.objects.filter(pk=request_id).select_related("organisation").first()
        if request is None:
            raise CommandError(f"No match request has the id {request_id}")
        with tenant_scope(request.organisation):
            request = MatchRequest.objects.select_related("participant", "program", "organisation").get(pk=request.pk)
            if not request.is_open:
                raise CommandError(f"Match request {request_id} is {request.status}, not waiting for a peer")
            suggestions = selectors.suggestions_for(request, k=limit)
            services.match_suggestions_viewed(acting_user=None, request=request)
            days = max(0, (timezone.now() - request.waiting_since).days)
            rows = [
                {
                    "peer": str(s.peer.pk),
                    "first_name": s.first_name,
                    "score": round(s.points, 2),
                    "reasons": [r.as_dict() for r in s.reasons],
                    "explanation": s.explanation,
                }
                for s in suggestions
            ]
        if options["json"]:
            payload = {"request": str(request_id), "waiting_days": days, "suggestions": rows}
            self.stdout.write(json.dumps(payload, sort_keys=True))
            return
        self.stdout.write(f"Suggestions for match request {request_id} ({request.program.name}), waiting {days} days:")
        if not rows:
            self.stdout.write("  No peer supporter meets every requirement right now.")
        for n, row in enumerate(rows, 1):
            self.stdout.write(f"{n}. {row['first_name']} (peer {row['peer']}), score {row['score']:.2f}")
            self.stdout.write(f"   {row['explanation']}")

    # --- batch -----------------------------------------------------------------------------------

    def batch(self, options: dict[str, Any]) -> None:
        program_id = _uuid(options["program"], "program")
        with unscoped("a command names a program by its id; its organisation's scope is entered next"):
            program = Program.objects.filter(pk=program_id).select_related("organisation").first()
        if program is None:
            raise CommandError(f"No program has the id {program_id}")
        organisation: Organisation = program.organisation
        acting_user = self._acting_user(organisation, options["by"]) if options["by"] else None
        with tenant_scope(organisation):
            proposal = selectors.batch_proposal(organisation, program)
            services.match_batch_viewed(acting_user=acting_user, program=program)
            best = proposal.assignment
            rows = [
                {
                    "request": p.request.key,
                    "waiting_days": int(p.request.waiting_days),
                    "peer": p.peer.key,
                    "first_name": _first_name(proposal.profiles[p.peer.key].user),
                    "score": round(p.points, 2),
                    "value": p.value / SCALE,
                    "explanation": proposal.explanation(p.reasons),
                }
                for p in best.proposals
            ]
            sent = None
            if not options["dry_run"]:
                try:
                    sent = services.match_batch_send(
                        acting_user=acting_user,
                        program=program,
                        pairs=[(p.request.key, p.peer.key) for p in best.proposals],
                    )
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
        summary = {
            "program": str(program_id),
            "waiting": proposal.waiting,
            "room": proposal.room,
            "proposals": rows,
            "total": best.total / SCALE,
            "greedy_total": proposal.greedy_total / SCALE,
            "dry_run": bool(options["dry_run"]),
        }
        if sent is not None:
            summary["sent"] = len(sent.created)
            summary["skipped"] = [{"request": str(r), "peer": str(p), "why": why} for r, p, why in sent.skipped]
        if options["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        self.stdout.write(
            f"Batch proposal for {program.name} ({program_id}): {proposal.waiting} waiting, "
            f"room for {proposal.room} with the peer supporters taking people on"
        )
        for row in rows:
            self.stdout.write(
                f"  request {row['request']} (waiting {row['waiting_days']} days) → {row['first_name']} "
                f"(peer {row['peer']}): score {row['score']:.2f}, with waiting priority {row['value']:.2f}"
            )
            self.stdout.write(f"    {row['explanation']}")
        self.stdout.write(f"Total score: {summary['total']:.2f} for {len(rows)} of {proposal.waiting} people")
        self.stdout.write(f"First come, first served would total {summary['greedy_total']:.2f}")
        if sent is None:
            self.stdout.write("Dry run: nothing was sent.")
        else:
            self.stdout.write(f"Sent {len(sent.created)} proposals to peer supporters.")
            for r, p, why in sent.skipped:
                self.stdout.write(f"  skipped request {r} → peer {p}: {why}")

    def _acting_user(self, organisation: Organisation, email: str) -> User:
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        with unscoped("checking the sender's own membership in the program's organisation"):
            allowed = (
                user is not None
                and Membership.objects.filter(
                    organisation=organisation, user=user, role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True
                ).exists()
            )
        if not allowed or user is None:
            raise CommandError(f"{email} is not an active coordinator or admin of this program's organisation")
        return user
