"""Warm-line call and chat records in the demo: a few dozen past calls and chats over the last four
weeks across the organisation's lines (from the database) and its peer supporters, most from
anonymous callers with invented nicknames, with moods, topics, what helped and what was offered;
one repeat-caller plan; and two safety concerns raised from a call and a chat, each with what
happened next recorded and closed.

``warmline.demo.load_warmline_demo`` runs it after the lines and shifts demos. Every write goes
through the services (with their audit rows), so the audit chains verify. Idempotent: an
organisation that already has warm-line records is left as it is. ``now`` must not be later than
the real time (the services refuse records in the future).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction

from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.core.tenancy import tenant_scope
from alongside.safety import services as safety_services
from alongside.warmline import contacts
from alongside.warmline.models import Helped, LineContact, ResourceGiven, WarmlineTopic

ALIASES = ["Sunny", "J", "Blue", "Marisol", "T.", "Robin", "Sam", "Kit", "Ash", "Nova", "", "", "", ""]
NOTES = [
    "",
    "",
    "Wanted someone to hear them out after a long week.",
    "Talked about getting back to the morning walks that helped before.",
    "Missing their sister; we talked about the anniversary coming up.",
    "Trouble sleeping since the move. Shared what works for me.",
    "Interested in the Tuesday group; gave the details.",
]
HOW_MANY = 36


def _staff(organisation: Organisation, roles: list[str]) -> list[User]:
    memberships = (
        Membership.objects.filter(organisation=organisation, is_active=True, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
    seen: dict[object, User] = {}
    for membership in memberships:
        seen.setdefault(membership.user_id, membership.user)
    return list(seen.values())


@transaction.atomic
def demo_contacts(organisation: Organisation, *, now: datetime) -> int:
    """Load the records; how many were made (0 when the organisation already has some, or has no
    line or peer supporter yet)."""
    with tenant_scope(organisation):
        if LineContact.objects.filter(organisation=organisation).exists():
            return 0
        lines = list(contacts.lines_for(organisation))
        peers = _staff(organisation, [Role.PEER]) or _staff(organisation, [Role.SUPERVISOR, Role.COORDINATOR])
        leads = _staff(organisation, [Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN])
        if not lines or not peers:
            return 0
        rng = random.Random(f"warmline-demo-{organisation.slug}")  # noqa: S311 - demo data, not security
        made: list[LineContact] = []
        for index in range(HOW_MANY):
            peer = peers[index % len(peers)]
            line = lines[index % len(lines)]
            channel = "chat" if line.chat_enabled and index % 3 == 0 else "call"
            began = (now - timedelta(days=rng.randint(1, 27), hours=rng.randint(0, 8))).replace(second=0, microsecond=0)
            minutes = rng.randint(6, 40)
            contact = contacts.contact_start(
                acting_user=peer, line=line, channel=channel, caller_alias=rng.choice(ALIASES), at=began
            )
            mood_start = rng.randint(1, 4)
            kind = "repeat" if contact.caller_kind == "repeat" else rng.choice(["first_time", "not_sure"])
            contacts.contact_complete(
                acting_user=peer,
                contact=contact,
                ended_at=began + timedelta(minutes=minutes),
                caller_kind=kind,
                topics=rng.sample(WarmlineTopic.values, rng.randint(1, 2)),
                mood_start=mood_start,
                mood_end=min(5, mood_start + rng.randint(0, 2)),
                helped=rng.sample(Helped.values, rng.randint(1, 3)),
                resources=rng.sample([ResourceGiven.INFO_211, ResourceGiven.PEER_GROUP], rng.randint(0, 1)),
                notes=rng.choice(NOTES),
            )
            made.append(contact)
        # One contact a little while ago, not finished yet (the peer's "to finish" list).
        contacts.contact_start(acting_user=peers[0], line=lines[0], channel="call", at=now - timedelta(hours=2))

        # Two safety concerns, each with what happened next, closed by a supervisor or coordinator.
        for contact, outcome in ((made[4], "resources_given"), (made[9], "warm_transfer_988")):
            escalation = contacts.contact_escalate(
                acting_user=contact.contact.peer,
                contact=contact,
                summary="Said they had been thinking about not being here; we talked about 988 together.",
            )
            closer = next((u for u in leads if u.pk != contact.contact.peer_id), None)
            if closer is not None:
                safety_services.escalation_record_outcome(acting_user=closer, escalation=escalation, outcome=outcome)
                safety_services.escalation_close(acting_user=closer, escalation=escalation)

        if leads:
            today = contacts.local_today(organisation, now)
            contacts.plan_create(
                acting_user=leads[0],
                organisation=organisation,
                caller_alias="Sunny",
                max_contacts=1,
                period="day",
                max_minutes=20,
                notes="One call a day, up to 20 minutes. Sunny agreed to this and it is going well.",
                starts_on=today - timedelta(days=7),
                expires_on=today + timedelta(days=30),
            )
        return len(made) + 1
