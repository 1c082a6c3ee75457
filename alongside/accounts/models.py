"""Networks, organisations, programs, sites, staff users, memberships, invitations, second factors."""

from __future__ import annotations

import hashlib
import time
import uuid
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.directory.maps import validate_tile_url

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1–50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."),
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a time zone name such as America/New_York."), params={"value": value})


def default_crisis_options() -> list[dict[str, str]]:
    """US defaults (DOMAIN.md §6). Each organisation can change them in its settings."""
    return [
        {"kind": "call", "label": "Call or text 988 (Suicide & Crisis Lifeline)", "value": "988"},
        {"kind": "chat", "label": "Chat with the 988 Lifeline", "value": "https://988lifeline.org/chat"},
        {"kind": "emergency", "label": "In an emergency, call 911", "value": "911"},
    ]


def default_languages() -> list[str]:
    return ["en"]


class Role(models.TextChoices):
    ADMIN = "admin", _("Organisation admin")
    COORDINATOR = "coordinator", _("Coordinator")
    SUPERVISOR = "supervisor", _("Supervisor")
    PEER = "peer", _("Peer supporter")
    REFERRER = "referrer", _("Referrer")
    FUNDER = "funder", _("Funder (reports only)")


class NetworkRole(models.TextChoices):
    NETWORK_ADMIN = "network_admin", _("Network admin")


class Network(TimestampedModel):
    """A host of many organisations (a state or regional network). Optional."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=50, unique=True, validators=[slug_validator])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(TimestampedModel):
    """The tenant. Everything a program records belongs to exactly one organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=50, unique=True, validators=[slug_validator])
    description = models.TextField(_("public description"), blank=True, max_length=4000)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    languages = models.JSONField(_("languages"), default=default_languages)
    crisis_options = models.JSONField(_("crisis options shown to the public"), default=default_crisis_options)
    quick_exit_url = models.URLField(_("quick exit destination"), default="https://weather.com/")
    # The optional map on public pages (docs/directory.md, "Map"): off while the tile URL is blank.
    map_tile_url = models.CharField(
        _("map tile server"), max_length=300, blank=True, default="", validators=[validate_tile_url]
    )
    map_attribution = models.CharField(_("map attribution"), max_length=200, blank=True, default="")
    retention_notes_days = models.PositiveIntegerField(
        _("keep contact and session notes for (days)"),
        default=365 * 7,
        validators=[MinValueValidator(30), MaxValueValidator(365 * 50)],
    )
    retention_transcripts_days = models.PositiveIntegerField(
        _("keep warm-line transcripts for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365 * 50)],
    )
    retention_closed_records_days = models.PositiveIntegerField(
        _("keep closed participant records for (days)"),
        default=365 * 7,
        validators=[MinValueValidator(30), MaxValueValidator(365 * 50)],
    )
    # Youth services (DOMAIN.md §1; standards §5.6): who counts as youth, and from what age a young
    # person may consent alone (state law differs, and often differs for substance-use care).
    youth_min_age = models.PositiveSmallIntegerField(
        _("youngest age served by youth programs"), default=12, validators=[MinValueValidator(5), MaxValueValidator(30)]
    )
    youth_max_age = models.PositiveSmallIntegerField(
        _("oldest age served by youth programs"), default=25, validators=[MinValueValidator(12), MaxValueValidator(35)]
    )
    age_of_majority = models.PositiveSmallIntegerField(
        _("age of majority"), default=18, validators=[MinValueValidator(16), MaxValueValidator(21)]
    )
    minor_self_consent_age = models.PositiveSmallIntegerField(
        _("age from which a young person may consent alone"),
        default=16,
        validators=[MinValueValidator(0), MaxValueValidator(21)],
    )
    minor_self_consent_age_substance_use = models.PositiveSmallIntegerField(
        _("age from which a young person may consent alone to substance-use support"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(21)],
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.map_tile_url and not self.map_attribution.strip():
            raise ValidationError(
                {"map_attribution": _("Say whose map it is: the tile server's terms ask for this credit.")}
            )


class Program(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    # Models offered (DOMAIN.md §1). Booleans rather than a list so every database can filter them.
    offers_mentorship = models.BooleanField(_("one-on-one mentorship"), default=False)
    offers_groups = models.BooleanField(_("peer support groups"), default=False)
    offers_warmline = models.BooleanField(_("warm line"), default=False)
    serves_adults = models.BooleanField(_("adults"), default=True)
    serves_youth = models.BooleanField(_("youth and young adults"), default=False)
    serves_families = models.BooleanField(_("families"), default=False)
    sites: models.ManyToManyField[Site, Any] = models.ManyToManyField("Site", blank=True, related_name="programs")
    is_public = models.BooleanField(_("listed publicly"), default=True)
    is_active = models.BooleanField(default=True)

    objects: ClassVar[models.Manager[Program]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="accounts_program_unique_name"),
            models.CheckConstraint(
                condition=models.Q(offers_mentorship=True)
                | models.Q(offers_groups=True)
                | models.Q(offers_warmline=True),
                name="accounts_program_offers_a_model",
            ),
            models.CheckConstraint(
                condition=models.Q(serves_adults=True) | models.Q(serves_youth=True) | models.Q(serves_families=True),
                name="accounts_program_serves_an_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def model_labels(self) -> list[str]:
        labels = []
        if self.offers_mentorship:
            labels.append(str(_("One-on-one mentorship")))
        if self.offers_groups:
            labels.append(str(_("Peer support groups")))
        if self.offers_warmline:
            labels.append(str(_("Warm line")))
        return labels

    @property
    def audience_labels(self) -> list[str]:
        labels = []
        if self.serves_adults:
            labels.append(str(_("Adults")))
        if self.serves_youth:
            labels.append(str(_("Youth and young adults")))
        if self.serves_families:
            labels.append(str(_("Families")))
        return labels


class Site(TimestampedModel):
    """A place where support happens, with its own coordinates (no geocoding service needed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    address_line1 = models.CharField(_("street address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postcode = models.CharField(_("ZIP or postcode"), max_length=20, blank=True)
    country = models.CharField(_("country code"), max_length=2, default="US")
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    accessibility = models.TextField(_("accessibility"), blank=True, max_length=2000)
    is_public = models.BooleanField(_("listed publicly"), default=True)
    is_active = models.BooleanField(default=True)

    objects: ClassVar[models.Manager[Site]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="accounts_site_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff person who signs in. Participants' own accounts arrive with the people capability."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), unique=True, max_length=254)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use Django's admin (not mounted by default).")
    # Only `alongside demo` sets this; with the demo setting on, such accounts may skip 2FA set-up.
    is_demo = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()


class Membership(TimestampedModel):
    """User × organisation × role. A person may hold several roles in one organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    objects: ClassVar[models.Manager[Membership]] = tenant_manager()

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="accounts_membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class NetworkMembership(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="network_memberships")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=NetworkRole.choices, default=NetworkRole.NETWORK_ADMIN)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["network__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "network", "role"], name="accounts_networkmembership_unique"),
        ]


class SupervisionLink(TimestampedModel):
    """A supervisor supervises a peer supporter within one organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="supervision_links")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervises")
    peer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervised_by")
    ended_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[SupervisionLink]] = tenant_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "supervisor", "peer"],
                condition=models.Q(ended_at__isnull=True),
                name="accounts_supervision_one_open_link",
            ),
            models.CheckConstraint(
                condition=~models.Q(supervisor=models.F("peer")), name="accounts_supervision_not_self"
            ),
        ]


def hash_token(token: str) -> str:
    """Invitation and API tokens are 256-bit random values, so one round of SHA-256 suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Invitation(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("email"), max_length=254)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # Empty when an operator invited the first admin from the command line.
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Invitation]] = tenant_manager()

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class APIToken(TimestampedModel):
    """A personal API token. Only its SHA-256 is stored; the token is shown once when made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


def default_totp_key() -> str:
    return random_hex(20)


def default_salt() -> str:
    return random_hex(16)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app. Like django-otp's TOTP device, but the shared secret is encrypted."""

    key = EncryptedTextField(default=default_totp_key, sensitivity="secret")
    step: models.Field[int, int] = models.PositiveSmallIntegerField(default=30)
    digits: models.Field[int, int] = models.PositiveSmallIntegerField(default=6)
    tolerance: models.Field[int, int] = models.PositiveSmallIntegerField(default=1)
    drift: models.Field[int, int] = models.SmallIntegerField(default=0)
    # The time step of the last accepted code: a code is never accepted twice.
    last_t: models.Field[int, int] = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    @property
    def bin_key(self) -> bytes:
        return bytes.fromhex(self.key)

    def totp(self) -> TOTP:
        totp = TOTP(self.bin_key, self.step, 0, self.digits, self.drift)
        totp.time = time.time()
        return totp

    def verify_token(self, token: Any) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        token_str = str(token).strip().replace(" ", "")
        verified = False
        if token_str.isdigit() and len(token_str) == self.digits:
            totp = self.totp()
            verified = bool(totp.verify(int(token_str), self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return 1

    def config_url(self, issuer: str = "Alongside") -> str:
        from base64 import b32encode
        from urllib.parse import quote, urlencode

        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """One-time recovery codes, stored only as salted SHA-256 hashes.

    Each code carries about 79 random bits (16 symbols from 31), so a fast hash cannot be
    brute-forced from a database copy.
    """

    salt: models.CharField[str, str] = models.CharField(max_length=32, default=default_salt)

    class Meta(Device.Meta):
        verbose_name = "recovery codes"

    def hash_code(self, code: str) -> str:
        return hashlib.sha256(f"{self.salt}:{normalise_recovery_code(code)}".encode()).hexdigest()

    def verify_token(self, token: Any) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        code = self.codes.filter(used_at__isnull=True, code_hash=self.hash_code(str(token))).first()
        if code is None:
            self.throttle_increment()
            return False
        code.used_at = timezone.now()
        code.save(update_fields=["used_at"])
        self.throttle_reset()
        return True

    def get_throttle_factor(self) -> int:
        return 1


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


class UserSession(models.Model):
    """The sessions a person has open, so they (or an admin, or a deactivation) can end them all."""

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="open_sessions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"session of {self.user_id}"
