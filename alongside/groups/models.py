"""Group peer support (DOMAIN.md §1): a group, its versioned agreement, its recurring schedules
(RFC 5545 rules in the group's time zone), the sessions that were held, moved, cancelled or added
once, registrations with a waitlist, attendance, and anonymous feedback.

What is public (P1) and may appear in the directory and the feeds: a group's name, description,
audience, topics, language, format, venue (the site's public address), accessibility, cost,
joining, schedule and next sessions. Never public: who registered or attended (P2), session notes
(P3), the online link of a group that needs registration. See docs/groups.md.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program, Site, validate_timezone
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.groups.vocab import Audience, GroupFormat, Joining
from alongside.people.models import Participant


class GroupStatus(models.TextChoices):
    ACTIVE = "active", _("Meeting")
    PAUSED = "paused", _("Paused for now")
    ENDED = "ended", _("No longer meeting")


class Group(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("name"), max_length=120)
    # Stable, URL-safe, unique in the organisation (the public page, the feeds' slug).
    slug = models.SlugField(_("web address name"), max_length=80)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    audience = models.CharField(_("who it is for"), max_length=12, choices=Audience.choices, default=Audience.ADULTS)
    communities = models.JSONField(_("communities"), default=list, blank=True)  # vocab.Community codes
    age_min = models.PositiveSmallIntegerField(
        _("youngest age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    age_max = models.PositiveSmallIntegerField(
        _("oldest age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    topics = models.JSONField(_("topics"), default=list, blank=True)  # vocab.Topic codes
    language = models.CharField(_("language"), max_length=8, default="en")
    format = models.CharField(_("format"), max_length=10, choices=GroupFormat.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="groups")
    # How to join online or by phone. Shown only to registered people unless the group is drop-in
    # and ``join_details_public`` (then it is in the directory and the Meeting Guide feed).
    online_url = models.URLField(_("video link"), max_length=500, blank=True)
    dial_in = models.CharField(_("phone number to join"), max_length=40, blank=True)
    join_details_public = models.BooleanField(_("show how to join online publicly"), default=False)
    joining = models.CharField(_("joining"), max_length=12, choices=Joining.choices, default=Joining.DROP_IN)
    capacity = models.PositiveSmallIntegerField(
        _("places"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    # Open: anyone who fits may come. Closed: the same people each time, joining only as agreed.
    is_open = models.BooleanField(_("open group"), default=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    co_facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    accessibility = models.JSONField(_("accessibility"), default=list, blank=True)  # vocab.Accessibility codes
    accessibility_notes = models.CharField(_("more about access"), max_length=500, blank=True)
    is_free = models.BooleanField(_("free"), default=True)
    cost_description = models.CharField(_("cost"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    is_public = models.BooleanField(_("listed publicly"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=GroupStatus.choices, default=GroupStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[models.Manager[Group]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="groups_group_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(age_min__isnull=True)
                | models.Q(age_max__isnull=True)
                | models.Q(age_min__lte=models.F("age_max")),
                name="groups_group_age_range",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "is_public"], name="groups_group_listing")]

    def __str__(self) -> str:
        return self.name


class GroupAgreement(TimestampedModel):
    """The group's agreement (how we treat each other, confidentiality), versioned: a new text is
    a new version, and acknowledgements name the version read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField()
    text = models.TextField(_("agreement"), max_length=6000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[models.Manager[GroupAgreement]] = tenant_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "version"], name="groups_agreement_unique_version")]

    def __str__(self) -> str:
        return f"{self.group_id} v{self.version}"


class Schedule(TimestampedModel):
    """A recurrence (RFC 5545 RRULE, e.g. ``FREQ=WEEKLY;BYDAY=TU``, ``FREQ=WEEKLY;INTERVAL=2;BYDAY=TH``,
    ``FREQ=MONTHLY;BYDAY=1MO``) starting on ``start_date`` at ``start_time`` wall-clock time in the
    group's time zone: the session stays at 6 pm local across daylight-saving changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedules")
    rrule = models.CharField(_("repeats"), max_length=200)
    start_date = models.DateField(_("first session"))
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=90, validators=[MinValueValidator(15), MaxValueValidator(8 * 60)]
    )
    until = models.DateField(_("last date"), null=True, blank=True)

    objects: ClassVar[models.Manager[Schedule]] = tenant_manager()

    def __str__(self) -> str:
        return f"{self.group_id} {self.rrule}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Session(TimestampedModel):
    """One meeting of a group. A row exists for a one-off session (``schedule`` empty), for an
    occurrence of a schedule that was moved or cancelled (``original_start`` names which), and for
    every session whose attendance was taken. Occurrences nobody touched are computed from the
    schedule and have no row until they do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="sessions")
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    original_start = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    change_note = models.CharField(_("note for attendees"), max_length=300, blank=True)  # public: "moved to room 2"
    # Taken by the facilitator.
    dropin_headcount = models.PositiveSmallIntegerField(
        _("people who came without registering"), null=True, blank=True, validators=[MaxValueValidator(1000)]
    )
    topics_discussed = models.JSONField(_("topics"), default=list, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True, default="")  # P3
    attendance_taken_at = models.DateTimeField(null=True, blank=True)
    attendance_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Session]] = tenant_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "original_start"],
                condition=models.Q(schedule__isnull=False),
                name="groups_session_one_row_per_occurrence",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="groups_session_ends_after"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "group", "starts_at"], name="groups_session_when")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.starts_at:%Y-%m-%d %H:%M}"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(TimestampedModel):
    """A place in a group that needs registration (the series, not one session), or a place on its
    waitlist. From the public page with minimal details, or by staff for a participant record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="registrations")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="group_registrations"
    )
    first_name = models.CharField(_("first name or nickname"), max_length=60)  # P2
    email = EncryptedTextField(_("email"), blank=True, default="")  # P2
    phone = EncryptedTextField(_("phone"), blank=True, default="")  # P2
    # An HMAC of the normalised email or phone: finds a second registration by the same person
    # without storing the contact in clear.
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True, validators=[MaxValueValidator(120)])
    # Youth groups: a parent or guardian's consent, as given on the form or recorded by staff.
    guardian_name = EncryptedTextField(_("parent or guardian's name"), blank=True, default="")
    guardian_contact = EncryptedTextField(_("parent or guardian's phone or email"), blank=True, default="")
    guardian_consent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    agreement = models.ForeignKey(GroupAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agreement_acknowledged_at = models.DateTimeField(null=True, blank=True)
    # The registrant's own link (to see the online link, or cancel): a SHA-256 of a random token.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=10, choices=[("public", _("Public page")), ("staff", _("Staff"))])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[Registration]] = tenant_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "participant"],
                condition=models.Q(participant__isnull=False) & ~models.Q(status="cancelled"),
                name="groups_registration_one_per_participant",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "group", "status"], name="groups_registration_status")]

    def __str__(self) -> str:
        return f"registration {self.pk}"


class Attendance(TimestampedModel):
    """A registered person marked present at a session (drop-ins are a headcount on the session)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="attendance")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="group_attendance"
    )
    present = models.BooleanField(default=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[models.Manager[Attendance]] = tenant_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "registration"], name="groups_attendance_once"),
        ]


class SessionFeedback(TimestampedModel):
    """What an attendee thought of a session, through the session's feedback link or QR code:
    anonymous (nothing ties it to a person), short."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        _("how helpful it was"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    felt_safe = models.BooleanField(_("I felt safe and respected"), null=True, blank=True)
    comment = EncryptedTextField(_("anything else"), blank=True, default="")  # P3: free text
    # What crisis screening found in the comment: a tier and concept names (policy words only).
    screening_tier = models.CharField(_("crisis screening"), max_length=10, blank=True, default="")
    screening_concepts = models.JSONField(_("crisis screening concepts"), default=list, blank=True)

    objects: ClassVar[models.Manager[SessionFeedback]] = tenant_manager()
