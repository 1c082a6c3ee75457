"""Every write in accounts: keyword-only, takes the acting user, atomic, audited."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import (
    APIToken,
    Invitation,
    Membership,
    NetworkMembership,
    Organisation,
    Program,
    RecoveryCode,
    RecoveryCodeDevice,
    Role,
    Site,
    SupervisionLink,
    TOTPDevice,
    User,
    UserSession,
    hash_token,
)
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.core.tenancy import unscoped

# --- Organisation settings -------------------------------------------------------------------

ORGANISATION_SETTINGS_FIELDS = (
    "name",
    "description",
    "timezone",
    "languages",
    "crisis_options",
    "quick_exit_url",
    "map_tile_url",
    "map_attribution",
    "retention_notes_days",
    "retention_transcripts_days",
    "retention_closed_records_days",
)


@transaction.atomic
def organisation_update_settings(*, acting_user: User, organisation: Organisation, **fields: Any) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = apply_changes(organisation, fields, ORGANISATION_SETTINGS_FIELDS)
    if changed:
        organisation.full_clean()
        organisation.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "organisation.update_settings", organisation)
    return organisation


@transaction.atomic
def organisation_create(
    *, acting_user: User | None, name: str, slug: str, network: Any = None, **fields: Any
) -> Organisation:
    organisation = Organisation(name=name, slug=slug, network=network)
    apply_changes(organisation, fields, ORGANISATION_SETTINGS_FIELDS)
    organisation.full_clean()
    organisation.save()
    record(acting_user, "organisation.create", organisation)
    return organisation


# --- Programs and sites ----------------------------------------------------------------------

PROGRAM_FIELDS = (
    "name",
    "description",
    "offers_mentorship",
    "offers_groups",
    "offers_warmline",
    "serves_adults",
    "serves_youth",
    "serves_families",
    "is_public",
    "is_active",
)


def _check_sites(organisation: Organisation, sites: list[Site] | None) -> None:
    for site in sites or []:
        if site.organisation_id != organisation.pk:
            raise ValidationError({"sites": _("Choose sites of this organisation.")})


@transaction.atomic
def program_create(
    *, acting_user: User | None, organisation: Organisation, sites: list[Site] | None = None, **fields: Any
) -> Program:
    _check_sites(organisation, sites)
    program = Program(organisation=organisation)
    apply_changes(program, fields, PROGRAM_FIELDS)
    program.full_clean()
    program.save()
    if sites:
        program.sites.set(sites)
    record(acting_user, "program.create", program)
    return program


@transaction.atomic
def program_update(*, acting_user: User, program: Program, sites: list[Site] | None = None, **fields: Any) -> Program:
    # Compare against the stored row (a bound form may have changed the caller's copy), locked.
    program = Program.objects.select_for_update().get(pk=program.pk, organisation_id=program.organisation_id)
    changed = apply_changes(program, fields, PROGRAM_FIELDS)
    if changed:
        program.full_clean()
        program.save(update_fields=[*changed, "updated_at"])
    if sites is not None:
        _check_sites(program.organisation, sites)
        program.sites.set(sites)
    if changed or sites is not None:
        record(acting_user, "program.update", program)
    return program


SITE_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "country",
    "latitude",
    "longitude",
    "accessibility",
    "is_public",
    "is_active",
)


@transaction.atomic
def site_create(*, acting_user: User | None, organisation: Organisation, **fields: Any) -> Site:
    site = Site(organisation=organisation)
    apply_changes(site, fields, SITE_FIELDS)
    site.full_clean()
    site.save()
    record(acting_user, "site.create", site)
    return site


@transaction.atomic
def site_update(*, acting_user: User, site: Site, **fields: Any) -> Site:
    site = Site.objects.select_for_update().get(pk=site.pk, organisation_id=site.organisation_id)
    changed = apply_changes(site, fields, SITE_FIELDS)
    if changed:
        site.full_clean()
        site.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "site.update", site)
    return site


# --- Staff, invitations and memberships ------------------------------------------------------


def _send_after_commit(subject: str, template: str, to: str, context: dict[str, Any]) -> None:
    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=False))


@transaction.atomic
def invitation_create(
    *, acting_user: User | None, organisation: Organisation, email: str, role: str
) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and its one-time token (sent by email)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid email address.")}) from exc
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of the listed roles.")})
    with unscoped("is this email already a member here? (read of one person's memberships)"):
        already = Membership.objects.filter(
            organisation=organisation, user__email=email, role=role, is_active=True
        ).exists()
    if already:
        raise ValidationError({"email": _("This person already has that role here.")})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=acting_user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    record(acting_user, "invitation.create", invitation)
    link = settings.SITE_URL + reverse("accounts:invitation_accept", args=[token])
    _send_after_commit(
        _("You're invited to join %(organisation)s on Alongside") % {"organisation": organisation.name},
        "accounts/email/invitation.txt",
        email,
        {"organisation": organisation, "role": invitation.get_role_display(), "link": link, "invitation": invitation},
    )
    return invitation, token


def invitation_by_token(token: str) -> Invitation | None:
    with unscoped("an invitation link names its organisation only through its token"):
        invitation = Invitation.objects.select_related("organisation").filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_open:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str | None, full_name: str = "") -> User:
    """Accept an invitation: make the account (or use the existing one) and the membership."""
    invitation = invitation_by_token(token)
    if invitation is None:
        raise ValidationError(_("This invitation link is no longer valid. Ask for a new one."))
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        if not password:
            raise ValidationError({"password": _("Choose a password.")})
        candidate = User(email=invitation.email, full_name=full_name)
        validate_password(password, candidate)
        user = User.objects.create_user(invitation.email, password, full_name=full_name)
        record(user, "user.create", user, organisation=invitation.organisation, role="invitee")
    elif not user.is_active:
        raise ValidationError(_("This account is switched off. Ask your organisation admin for help."))
    with unscoped("accepting an invitation writes a membership of the inviting organisation"):
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, role=invitation.role
        )
        if not created and not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active", "updated_at"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    record(user, "invitation.accept", invitation, role="invitee")
    record(user, "membership.create", membership, role="invitee")
    return user


@transaction.atomic
def invitation_revoke(*, acting_user: User, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        record(acting_user, "invitation.revoke", invitation)
    return invitation


def _active_admins(organisation: Organisation) -> set[Any]:
    return set(
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN, is_active=True).values_list(
            "user_id", flat=True
        )
    )


@transaction.atomic
def membership_grant(*, acting_user: User | None, organisation: Organisation, user: User, role: str) -> Membership:
    """Give one role (used by set-up and the demo; invitations grant roles when accepted)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of the listed roles.")})
    membership = Membership.objects.filter(organisation=organisation, user=user, role=role).first()
    if membership is None:
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        record(acting_user, "membership.create", membership)
    elif not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
        record(acting_user, "membership.activate", membership)
    return membership


@transaction.atomic
def user_create(
    *, acting_user: User | None, email: str, password: str | None, full_name: str = "", **extra: Any
) -> User:
    user = User.objects.create_user(email, password, full_name=full_name, **extra)
    record(acting_user, "user.create", user)
    return user


@transaction.atomic
def membership_set_roles(
    *, acting_user: User, organisation: Organisation, user: User, roles: set[str]
) -> list[Membership]:
    """Give ``user`` exactly ``roles`` in ``organisation`` (an empty set removes them)."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": _("Choose from the listed roles.")})
    admins = _active_admins(organisation)
    if admins == {user.pk} and Role.ADMIN not in roles:
        raise ValidationError({"roles": _("Every organisation needs at least one admin.")})
    current = {m.role: m for m in Membership.objects.select_for_update().filter(organisation=organisation, user=user)}
    if not current:
        raise ValidationError(_("This person is not a member here."))
    for role, membership in current.items():
        want = role in roles
        if membership.is_active != want:
            membership.is_active = want
            membership.save(update_fields=["is_active", "updated_at"])
            record(acting_user, "membership.activate" if want else "membership.deactivate", membership)
    for role in sorted(roles - set(current)):
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        record(acting_user, "membership.create", membership)
    if not roles:
        # Removed from the organisation: end every open session, so nothing cached lingers.
        sessions_end_all(user=user)
    return list(Membership.objects.filter(organisation=organisation, user=user, is_active=True))


@transaction.atomic
def supervision_link_create(
    *, acting_user: User, organisation: Organisation, supervisor: User, peer: User
) -> SupervisionLink:
    roles = {
        (m.user_id, m.role)
        for m in Membership.objects.filter(organisation=organisation, user__in=[supervisor, peer], is_active=True)
    }
    if (supervisor.pk, Role.SUPERVISOR) not in roles:
        raise ValidationError({"supervisor": _("Choose a supervisor of this organisation.")})
    if (peer.pk, Role.PEER) not in roles:
        raise ValidationError({"peer": _("Choose a peer supporter of this organisation.")})
    if supervisor.pk == peer.pk:
        raise ValidationError({"peer": _("A person cannot supervise themselves.")})
    existing = SupervisionLink.objects.filter(
        organisation=organisation, supervisor=supervisor, peer=peer, ended_at__isnull=True
    ).first()
    if existing:
        return existing
    link = SupervisionLink.objects.create(organisation=organisation, supervisor=supervisor, peer=peer)
    record(acting_user, "supervision.create", link)
    return link


@transaction.atomic
def supervision_link_end(*, acting_user: User, link: SupervisionLink) -> SupervisionLink:
    if link.ended_at is None:
        link.ended_at = timezone.now()
        link.save(update_fields=["ended_at", "updated_at"])
        record(acting_user, "supervision.end", link)
    return link


@transaction.atomic
def network_membership_create(*, acting_user: User | None, network: Any, user: User) -> NetworkMembership:
    membership, created = NetworkMembership.objects.get_or_create(network=network, user=user)
    if created:
        record(acting_user, "network_membership.create", membership)
    return membership


# --- Users and sessions ----------------------------------------------------------------------


def sessions_end_all(*, user: User, except_key: str | None = None) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    if except_key:
        keys = [k for k in keys if k != except_key]
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


@transaction.atomic
def user_deactivate(*, acting_user: User | None, user: User) -> User:
    """Switch an account off everywhere: sign-in refused and every session ended at once."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        record(acting_user, "user.deactivate", user)
    sessions_end_all(user=user)
    return user


@transaction.atomic
def user_change_password(*, acting_user: User, user: User, new_password: str, keep_session: str | None = None) -> User:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(acting_user, "user.change_password", user)
    # Django's session hash already invalidates other sessions; delete them outright too.
    sessions_end_all(user=user, except_key=keep_session)
    return user


@transaction.atomic
def user_update_profile(*, acting_user: User, user: User, full_name: str, preferred_name: str, language: str) -> User:
    changed = apply_changes(
        user,
        {"full_name": full_name, "preferred_name": preferred_name, "language": language},
        ("full_name", "preferred_name", "language"),
    )
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
        record(acting_user, "user.update_profile", user)
    return user


# --- Second factor ---------------------------------------------------------------------------


@transaction.atomic
def totp_begin(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the person to scan; any earlier unconfirmed one is replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, code: str) -> bool:
    if device.user_id != user.pk or device.confirmed:
        return False
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(user, "user.totp_confirm", user)
    return True


RECOVERY_CODE_COUNT = 10


def _new_recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes; 16 symbols ≈ 79 bits
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """New recovery codes (old ones stop working). The plain codes are returned once, never stored."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, code_hash=device.hash_code(c)) for c in codes])
    record(user, "user.recovery_codes_generate", user)
    return codes


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "als_"  # noqa: S105 - a public prefix, not a secret


@transaction.atomic
def api_token_create(*, acting_user: User, user: User, name: str) -> tuple[APIToken, str]:
    if acting_user.pk != user.pk and not acting_user.is_superuser:
        raise ValidationError(_("You can only make tokens for yourself."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as the tool that will use it.")})
    if len(name) > 100:
        raise ValidationError({"name": _("Keep the name under 100 characters.")})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = APIToken.objects.create(user=user, name=name, prefix=token[:12], token_hash=hash_token(token))
    record(acting_user, "api_token.create", api_token)
    return api_token, token


@transaction.atomic
def api_token_revoke(*, acting_user: User, token: APIToken) -> APIToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record(acting_user, "api_token.revoke", token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The user behind a bearer token, or None. Updates last use at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = APIToken.objects.select_related("user").filter(token_hash=hash_token(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
