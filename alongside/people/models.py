"""People: one participant record per person per organisation, families, guardians, consent,
peer supporter profiles, and contact records (one unit of service, used by every model)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager


class AgeBand(models.TextChoices):
    UNDER_13 = "under_13", _("Under 13")
    TEEN = "13_17", _("13–17")
    YOUNG_ADULT = "18_25", _("18–25")
    ADULT = "26_64", _("26–64")
    OLDER_ADULT = "65_plus", _("65 or older")


class ParticipantStatus(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class ClosedReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Reached their goals")
    CHOSE_TO_STOP = "chose_to_stop", _("Chose to stop")
    MOVED_ON = "moved_on", _("Moved to other support")
    UNREACHABLE = "unreachable", _("Could not be reached")
    MERGED = "merged", _("Merged into another record")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    SELF_REFERRAL = "self_referral", _("Reached out themselves")
    STAFF = "staff", _("Added by staff")
    REFERRAL = "referral", _("Referred by a care team")
    WARMLINE = "warmline", _("Warm-line contact")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")


class Participant(TimestampedModel):
    """A person the organisation supports. Only a preferred name is required."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="participants")
    preferred_name = models.CharField(_("preferred name"), max_length=100)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=50, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The phone's digits only, kept by the services, so "(207) 555-0142" finds "207-555-0142".
    phone_digits = models.CharField(max_length=32, blank=True, editable=False)
    preferred_contact = models.CharField(
        _("best way to reach them"), max_length=10, choices=ContactMethod.choices, blank=True
    )
    # Safety preferences: None means "not asked yet"; staff must not assume it is safe.
    safe_to_voicemail = models.BooleanField(_("safe to leave a voicemail"), null=True, blank=True)
    safe_to_text = models.BooleanField(_("safe to text"), null=True, blank=True)
    safe_to_email = models.BooleanField(_("safe to email"), null=True, blank=True)
    postcode = models.CharField(_("ZIP or postcode"), max_length=20, blank=True)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True, max_length=2000)
    looking_for_mentorship = models.BooleanField(_("one-on-one mentorship"), default=False)
    looking_for_groups = models.BooleanField(_("peer support groups"), default=False)
    looking_for_warmline = models.BooleanField(_("someone to talk to on the warm line"), default=False)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.ENQUIRY
    )
    closed_reason = models.CharField(_("reason for closing"), max_length=20, choices=ClosedReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    # What crisis screening found in the reach-out form's message: a tier ("urgent", "check_in" or
    # "") and concept names. Policy words only, never the message (which is kept encrypted in notes).
    screening_tier = models.CharField(_("crisis screening"), max_length=10, blank=True)
    screening_concepts = models.JSONField(_("crisis screening concepts"), default=list, blank=True)
    assigned_peer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caseload",
        verbose_name=_("peer supporter"),
    )
    # Records held under 42 CFR Part 2 (a substance-use program's records): every disclosure
    # carries the redisclosure notice and needs a Part 2 consent.
    part2 = models.BooleanField(_("covered by 42 CFR Part 2"), default=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Participants' rights (people/rights.py): the person asked for their record to be erased; it
    # is restricted at once and anonymised when the retention period allows.
    erasure_requested_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Participant]] = tenant_manager()

    class Meta:
        ordering = ["preferred_name", "created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"], name="people_participant_queue"),
            models.Index(fields=["organisation", "assigned_peer", "status"], name="people_participant_caseload"),
            models.Index(fields=["organisation", "email"], name="people_participant_email"),
            models.Index(fields=["organisation", "phone_digits"], name="people_participant_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closed_reason=""),
                name="people_participant_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.preferred_name

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def looking_for_labels(self) -> list[str]:
        labels = []
        if self.looking_for_mentorship:
            labels.append(str(_("One-on-one mentorship")))
        if self.looking_for_groups:
            labels.append(str(_("Peer support groups")))
        if self.looking_for_warmline:
            labels.append(str(_("Warm line")))
        return labels


class ExperienceCategory(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental health")
    TRAUMA = "trauma", _("Trauma")
    SUBSTANCE_USE = "substance_use", _("Substance use and recovery")
    LIFE = "life", _("Life experience")
    FAMILY = "family", _("Family role")
    IDENTITY = "identity", _("Identity and community")


class LivedExperienceTerm(TimestampedModel):
    """One entry of the organisation's lived-experience vocabulary (DOMAIN.md §9), editable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="experience_terms")
    category = models.CharField(max_length=20, choices=ExperienceCategory.choices)
    label = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    objects: ClassVar[models.Manager[LivedExperienceTerm]] = tenant_manager()

    class Meta:
        ordering = ["category", "label"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category", "label"], name="people_term_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class ParticipantExperience(models.Model):
    """A lived experience the person chose to share, and whether it may be used for matching."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="experiences")
    term = models.ForeignKey(LivedExperienceTerm, on_delete=models.PROTECT, related_name="+")
    use_for_matching = models.BooleanField(_("may be used to suggest a peer supporter"), default=False)

    objects: ClassVar[models.Manager[ParticipantExperience]] = tenant_manager()

    class Meta:
        ordering = ["term__category", "term__label"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "term"], name="people_participant_experience_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.term_id}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Enrolment(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="enrolments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    objects: ClassVar[models.Manager[Enrolment]] = tenant_manager()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "program"],
                condition=models.Q(status="active"),
                name="people_one_active_enrolment_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.program_id}"


class FamilyRelationship(models.TextChoices):
    PARENT = "parent", _("Parent or caregiver")
    PARTNER = "partner", _("Partner or spouse")
    SIBLING = "sibling", _("Sibling")
    CHILD = "child", _("Adult child")
    YOUNG_CARER = "young_carer", _("Young carer")
    FRIEND = "friend", _("Friend or chosen family")
    OTHER = "other", _("Other family")


class FamilyLink(TimestampedModel):
    """A family member (a participant) linked to the loved one they support, who may not be enrolled."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    family_member = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="loved_ones")
    loved_one = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="family_members"
    )
    loved_one_name = models.CharField(_("loved one's first name"), max_length=100, blank=True)
    relationship = models.CharField(_("relationship"), max_length=20, choices=FamilyRelationship.choices)

    objects: ClassVar[models.Manager[FamilyLink]] = tenant_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(loved_one__isnull=False) | ~models.Q(loved_one_name=""),
                name="people_family_link_names_someone",
            ),
            models.CheckConstraint(
                condition=~models.Q(loved_one=models.F("family_member")), name="people_family_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family_member_id} → {self.loved_one_id or self.loved_one_name}"


class Guardian(TimestampedModel):
    """A parent or legal guardian of a young participant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=100, default="Parent")
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_legal_guardian = models.BooleanField(_("legal guardian (may consent for them)"), default=True)

    objects: ClassVar[models.Manager[Guardian]] = tenant_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConsentPurpose(models.TextChoices):
    SERVICE = "service", _("Receiving peer support (service delivery)")
    SHARE_REFERRER = "share_referrer", _("Sharing updates with a named referrer")
    SHARE_CARE_TEAM = "share_care_team", _("Sharing with a named care team")
    EVALUATION = "evaluation", _("Outcome evaluation (de-identified)")
    RESEARCH = "research", _("Research")
    CONTACT_TEXT = "contact_text", _("Being contacted by text message")
    CONTACT_EMAIL = "contact_email", _("Being contacted by email")


# Purposes that send information to someone outside the organisation: they name a recipient.
SHARING_PURPOSES = frozenset({ConsentPurpose.SHARE_REFERRER, ConsentPurpose.SHARE_CARE_TEAM})


class ConsentMethod(models.TextChoices):
    E_SIGNATURE = "e_signature", _("Electronic signature")
    VERBAL = "verbal", _("Verbal, with a witness")
    WRITTEN = "written", _("Written form, uploaded")


class ConsentGivenBy(models.TextChoices):
    SELF = "self", _("The person themselves")
    GUARDIAN = "guardian", _("Their parent or guardian")


class Consent(models.Model):
    """One consent decision for one purpose. Append-only history: a withdrawal closes the record;
    granting again makes a new one. ``consent_covers`` in services is the only question asked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    recipient = models.CharField(
        _("recipient"), max_length=200, blank=True, help_text=_("Who may receive information, by name.")
    )
    given_by = models.CharField(_("given by"), max_length=10, choices=ConsentGivenBy.choices)
    guardian = models.ForeignKey(Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("how"), max_length=12, choices=ConsentMethod.choices)
    signature = models.CharField(_("typed signature"), max_length=200, blank=True)
    witness = models.CharField(_("witness"), max_length=200, blank=True)
    granted_at = models.DateTimeField()
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 42 CFR Part 2 §2.31 elements, when the consent covers Part 2 records.
    part2 = models.BooleanField(_("42 CFR Part 2 consent"), default=False)
    part2_information = models.TextField(_("what information may be disclosed"), blank=True, max_length=2000)
    part2_discloser = models.CharField(_("who may disclose it"), max_length=200, blank=True)
    part2_expiry_event = models.CharField(_("expires on (event)"), max_length=200, blank=True)

    objects: ClassVar[models.Manager[Consent]] = tenant_manager()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["participant", "purpose", "withdrawn_at"], name="people_consent_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method="verbal") | ~models.Q(witness=""), name="people_consent_verbal_witnessed"
            ),
            models.CheckConstraint(
                condition=~models.Q(given_by="guardian") | models.Q(guardian__isnull=False),
                name="people_consent_guardian_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.participant_id}"


class ContactMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text messages")
    CHAT = "chat", _("Chat")


class ServiceModel(models.TextChoices):
    MENTORSHIP = "mentorship", _("One-on-one mentorship")
    GROUP = "group", _("Peer support group")
    WARMLINE = "warmline", _("Warm line")
    REFERRAL = "referral", _("Referral follow-up")
    OUTREACH = "outreach", _("Outreach or intake")


class ContactRecord(TimestampedModel):
    """One unit of service, whatever the model: a mentorship session, a follow-up call, later a
    warm-line call or a group session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service_model = models.CharField(_("kind of support"), max_length=12, choices=ServiceModel.choices)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    mode = models.CharField(_("how"), max_length=10, choices=ContactMode.choices)
    peer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contacts_logged")
    topics = models.JSONField(_("topics"), default=list, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    # Set when ``alongside retention run`` (or anonymisation) cleared the notes.
    notes_cleared_at = models.DateTimeField(null=True, blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)

    objects: ClassVar[models.Manager[ContactRecord]] = tenant_manager()

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["organisation", "participant", "-occurred_at"], name="people_contact_person"),
            models.Index(fields=["organisation", "peer", "-occurred_at"], name="people_contact_peer"),
        ]

    def __str__(self) -> str:
        return f"{self.service_model} {self.occurred_at:%Y-%m-%d}"


class PeerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")


class Gender(models.TextChoices):
    """A gender a peer supporter may choose to share for matching (and a person may ask for)."""

    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")


class PeerProfile(TimestampedModel):
    """What a peer supporter chooses to share for matching, and how they work."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="peer_profiles")
    bio = models.TextField(_("a short bio, in your words"), blank=True, max_length=1000)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    modalities = models.JSONField(_("ways of meeting"), default=list, blank=True)
    service_area = models.CharField(_("area you can travel to"), max_length=200, blank=True)
    # {"mon": ["morning", "evening"], ...}
    availability = models.JSONField(_("weekly availability"), default=dict, blank=True)
    caseload_limit = models.PositiveSmallIntegerField(
        _("most people at once"), default=8, validators=[MinValueValidator(0), MaxValueValidator(60)]
    )
    status = models.CharField(_("status"), max_length=10, choices=PeerStatus.choices, default=PeerStatus.ACTIVE)
    shared_experiences: models.ManyToManyField[LivedExperienceTerm, Any] = models.ManyToManyField(
        LivedExperienceTerm, blank=True, related_name="+", verbose_name=_("lived experience you share for matching")
    )
    # Matching (alongside/matching, docs/matching.md): all optional, shared only if the peer chooses.
    # The location is approximate (two decimals, about 1 km) and only ever used to compute a
    # distance for in-person support; it is never shown to anyone.
    gender = models.CharField(
        _("gender, if you choose to share it for matching"), max_length=12, choices=Gender.choices, blank=True
    )
    home_latitude = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    home_longitude = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    travel_km = models.PositiveSmallIntegerField(
        _("how far you can travel to meet in person (km)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
    )

    objects: ClassVar[models.Manager[PeerProfile]] = tenant_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="people_one_profile_per_peer")]

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


# --- Care-team referrals (DOMAIN.md §3) ---------------------------------------------------------


class PartnerKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic")
    CMHC = "cmhc", _("Community mental-health centre")
    OTHER = "other", _("Other")


class PartnerOrganisation(TimestampedModel):
    """A care team outside the organisation that sends referrals (a hospital unit, a clinic)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="partners")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=PartnerKind.choices, default=PartnerKind.OTHER)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Referrer accounts (members with the referrer role) who refer on behalf of this partner.
    referrers: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partner_organisations", verbose_name=_("referrers")
    )

    objects: ClassVar[models.Manager[PartnerOrganisation]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="people_partner_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralUrgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    SOON = "soon", _("Soon")
    URGENT = "urgent", _("Urgent")


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONTACT_ATTEMPTED = "contact_attempted", _("Contact attempted")
    ENGAGED = "engaged", _("Engaged")
    HANDED_BACK = "handed_back", _("Handed back to the care team")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Could not be reached")


REFERRAL_FINAL_STATUSES = frozenset({ReferralStatus.HANDED_BACK, ReferralStatus.DECLINED, ReferralStatus.UNREACHABLE})


class Referral(TimestampedModel):
    """A referral from a care team: a peer contact before or soon after discharge, with clocks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(
        PartnerOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_made"
    )
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="referrals")
    reason = EncryptedTextField(_("reason for referral"), blank=True, default="")
    discharge_date = models.DateField(_("inpatient discharge date"), null=True, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=ReferralUrgency.choices, default=ReferralUrgency.ROUTINE
    )
    consent_attested = models.BooleanField(_("the referrer attests consent was obtained"), default=False)
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    received_at = models.DateTimeField()
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[Referral]] = tenant_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "received_at"], name="people_referral_queue"),
            models.Index(fields=["organisation", "discharge_date"], name="people_referral_discharge"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(consent_attested=True), name="people_referral_consent_attested"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["handed_back", "declined", "unreachable"])
                | models.Q(closed_at__isnull=False),
                name="people_referral_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"referral of {self.participant_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status not in REFERRAL_FINAL_STATUSES


class ReferralEvent(models.Model):
    """One step of a referral's history: which status, when, by whom. No free text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[models.Manager[ReferralEvent]] = tenant_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="people_referral_event_at")]

    def __str__(self) -> str:
        return f"{self.referral_id} → {self.status}"


# --- Participants' rights and written consent forms --------------------------------------------


class ConsentDocument(models.Model):
    """A signed written consent form, uploaded. The file is encrypted (base64 inside an encrypted
    text field, so key rotation and the raw-column test cover it), type- and size-checked on the
    way in, and only ever served as a download."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consent_documents")
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = EncryptedTextField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    objects: ClassVar[models.Manager[ConsentDocument]] = tenant_manager()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class ParticipantAccessLink(models.Model):
    """A private link that lets a person see their own record's access history and download their
    information without an account. Only a SHA-256 of the token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="access_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[ParticipantAccessLink]] = tenant_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"access link for {self.participant_id}"
