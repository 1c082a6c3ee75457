"""Private calendar-feed addresses: a signed token that names a member and their organisation.

A calendar app cannot sign in, so a person's own feed (the groups they facilitate, their warm-line
shifts) is reached by an address with a signed token. The token has no expiry; it stops working when
the person changes their password (it carries a mark of the password hash), is deactivated, or no
longer holds one of the feed's roles in that organisation. Each feed signs with its own salt, so a
token for one feed opens no other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac

from alongside.accounts.models import Membership, Organisation, User
from alongside.core.tenancy import unscoped


def _password_mark(salt: str, user: User) -> str:
    return salted_hmac(salt, f"{user.pk}:{user.password}").hexdigest()[:16]


def feed_token(user: User, organisation: Organisation, *, salt: str) -> str:
    """The secret in the person's feed address (signed; names the user and the organisation)."""
    return signing.dumps(
        {"u": str(user.pk), "o": str(organisation.pk), "p": _password_mark(salt, user)}, salt=salt, compress=True
    )


def member_from_feed_token(token: str, *, salt: str, roles: Iterable[str]) -> tuple[User, Any] | None:
    """(user, organisation) for a valid token of an active member holding one of ``roles``, else None."""
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"u", "o", "p"} <= set(data):
        return None
    try:
        user = User.objects.filter(pk=data["u"], is_active=True).first()
    except (ValueError, ValidationError):
        return None
    if user is None or not constant_time_compare(_password_mark(salt, user), str(data["p"])):
        return None
    with unscoped("the feed's token names the organisation; checked against the person's memberships"):
        try:
            member = (
                Membership.objects.filter(
                    user=user,
                    organisation_id=data["o"],
                    is_active=True,
                    organisation__is_active=True,
                    role__in=list(roles),
                )
                .select_related("organisation")
                .first()
            )
        except (ValueError, ValidationError):
            return None
    if member is None:
        return None
    return user, member.organisation
