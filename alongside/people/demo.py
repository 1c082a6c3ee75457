"""People in the demo: participants, families, young people and their guardians, consent, contacts
and peer supporter profiles for both demo organisations (``harbor`` and ``riverbend``).

Called by ``alongside demo`` right after ``accounts.demo.load_demo``. Every write goes through
``people/services.py``, so each one has its audit event and the demo's audit chain verifies. It is
idempotent: a person whose preferred name is already on the organisation's records, or a peer who
already has a profile, is left exactly as they are, so a second run writes nothing at all.

Everyone here is invented. Names are first names or nature names used as pseudonyms, phone numbers
are in the 555-01xx range reserved for fiction, and email addresses use ``example.org``.

The only writes that do not go through a service are the dates: after a record is made, its
``created_at`` (and its enrolments' start dates and its consents' grant dates) are moved back with a
queryset ``update()``, so the intake queue shows people waiting 0–9 days and contacts spread over the
last 90 days. That is demo data only; the audit events still say when the demo was loaded.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alongside.accounts.demo import ROLE_USERS, DemoRefused
from alongside.accounts.models import Organisation, Program, User
from alongside.core.tenancy import tenant_scope
from alongside.people import referrals, services
from alongside.people.models import (
    SHARING_PURPOSES,
    AgeBand,
    ClosedReason,
    Consent,
    ConsentDocument,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactMode,
    ContactRecord,
    Enrolment,
    EnrolmentStatus,
    FamilyRelationship,
    Guardian,
    LivedExperienceTerm,
    Participant,
    ParticipantStatus,
    PartnerKind,
    PartnerOrganisation,
    PeerProfile,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferralUrgency,
    ServiceModel,
    Source,
)

ENQUIRY, ACTIVE, PAUSED, CLOSED = (
    ParticipantStatus.ENQUIRY,
    ParticipantStatus.ACTIVE,
    ParticipantStatus.PAUSED,
    ParticipantStatus.CLOSED,
)
P = ConsentPurpose
REFERRER_NAME = next(name for key, _role, name in ROLE_USERS if key == "referrer")  # "Dr. Sam Okafor"
PART2_INFORMATION = "Dates of my peer support contacts, my attendance and my progress toward my goals."
PART2_EXPIRY = "When I stop taking part in peer support"


@dataclass(frozen=True)
class Person:
    """One invented participant. ``name`` (the preferred name) is unique within the organisation."""

    name: str
    status: str
    peer: str = ""  # "peer", "peer2", …: the demo peer supporter; "" = not assigned yet
    programs: tuple[str, ...] = ()
    age: int | None = None  # a date of birth is derived from it
    age_band: str = ""
    legal_name: str = ""
    pronouns: str = ""
    languages: tuple[str, ...] = ("en",)
    reach: str = "phone"  # preferred contact: phone | text | email
    email: bool = False
    safe: str = "yy?"  # voicemail, text, email: y(es) / n(o) / ? (not asked yet)
    looking: str = "m"  # m(entorship), g(roups), w(arm line)
    match: tuple[str, ...] = ()  # lived experience shared and usable for matching
    private: tuple[str, ...] = ()  # lived experience shared, not for matching
    note: str = ""
    source: str = Source.STAFF
    waiting_days: int = 0  # enquiries: how long they have been waiting
    closed_reason: str = ""
    part2: bool = False
    consents: tuple[str, ...] = ()  # purposes beyond service delivery
    withdrawn: tuple[str, ...] = ()  # purposes granted and later withdrawn
    guardian: tuple[str, str] | None = None  # (name, relationship)
    family: tuple[str, str] | None = None  # (relationship, loved one: a Person's name here, or a first name)
    accessibility: str = ""
    contacts: int = 0
    started_days_ago: int = 0  # 0: chosen from the contacts


@dataclass(frozen=True)
class OrgPeople:
    slug: str
    area_code: str
    postcode: str
    care_team: str  # a named care team, for sharing consents
    part2_program: str  # who discloses Part 2 records
    people: tuple[Person, ...]
    profiles: dict[str, dict[str, Any]]


HARBOR = OrgPeople(
    slug="harbor",
    area_code="207",
    postcode="04101",
    care_team="Harbor Community Health Center care team",
    part2_program="Harbor Peer Collective, Recovery Mentors",
    people=(
        # Enquiries: waiting in the intake queue, not yet assigned.
        Person(
            "Ember",
            ENQUIRY,
            source=Source.SELF_REFERRAL,
            waiting_days=0,
            email=True,
            reach="email",
            safe="??y",
            note="Wrote: three weeks without a drink and would rather not do this alone.",
        ),
        Person(
            "Estrella",
            ENQUIRY,
            source=Source.SELF_REFERRAL,
            waiting_days=1,
            languages=("es", "en"),
            reach="text",
            safe="?y?",
            looking="g",
            note="Would like to talk in Spanish. Asked about a group for mothers.",
        ),
        Person(
            "Tamsin",
            ENQUIRY,
            source=Source.REFERRAL,
            waiting_days=2,
            age_band=AgeBand.ADULT,
            note="Referred by the discharge nurse. Afternoon calls are best.",
        ),
        Person("Ash", ENQUIRY, source=Source.WARMLINE, waiting_days=4, safe="???", looking="w"),
        Person("Oakley", ENQUIRY, waiting_days=6, looking="mg", pronouns="they/them"),
        Person(
            "Vale",
            ENQUIRY,
            source=Source.SELF_REFERRAL,
            waiting_days=9,
            email=True,
            reach="email",
            safe="n?y",
            note="Asked whether a peer supporter with military service is free.",
        ),
        # Active: in a peer supporter's caseload.
        Person(
            "Wren",
            ACTIVE,
            peer="peer",
            programs=("Recovery Mentors",),
            reach="text",
            pronouns="she/her",
            match=("Alcohol", "Grief and loss"),
            consents=(P.EVALUATION, P.CONTACT_TEXT),
            note="Works early shifts at the bakery; texts after 2 pm are best.",
            contacts=9,
        ),
        Person(
            "Rowan",
            ACTIVE,
            peer="peer",
            programs=("Recovery Mentors", "Thursday Circles"),
            pronouns="he/him",
            match=("Opioids", "Medication-assisted recovery"),
            private=("Incarceration",),
            consents=(P.SHARE_REFERRER, P.EVALUATION),
            source=Source.REFERRAL,
            note="Would like help with the housing application before the end of the month.",
            contacts=11,
        ),
        Person(
            "Briar",
            ACTIVE,
            peer="peer",
            programs=("Recovery Mentors",),
            part2=True,
            legal_name="Briar Holloway",
            match=("Opioids", "Medication-assisted recovery"),
            consents=(P.SHARE_CARE_TEAM,),
            note="Goes to the clinic on Tuesdays; meets before or after.",
            contacts=8,
        ),
        Person(
            "Hollis",
            ACTIVE,
            peer="peer",
            programs=("Recovery Mentors",),
            age_band=AgeBand.ADULT,
            match=("Military service", "PTSD"),
            private=("Combat",),
            consents=(P.SHARE_CARE_TEAM,),
            safe="yny",
            email=True,
            note="Prefers to meet outdoors; busy rooms are hard.",
            contacts=10,
        ),
        Person(
            "Linden",
            ACTIVE,
            peer="peer",
            programs=("Recovery Mentors",),
            match=("Stimulants",),
            contacts=2,
            started_days_ago=12,
        ),
        Person(
            "Lark",
            ACTIVE,
            peer="peer2",
            programs=("Thursday Circles", "Harbor Warm Line"),
            pronouns="she/her",
            email=True,
            reach="email",
            safe="yyy",
            looking="gw",
            match=("Depression", "Anxiety"),
            consents=(P.CONTACT_EMAIL,),
            contacts=6,
        ),
        Person(
            "Aspen",
            ACTIVE,
            peer="peer2",
            programs=("Thursday Circles",),
            looking="g",
            match=("Partner",),
            family=(FamilyRelationship.PARTNER, "Lark"),
            note="Came to the family circle after Lark joined.",
            contacts=4,
        ),
        Person(
            "Sorrel",
            ACTIVE,
            peer="peer2",
            programs=("Harbor Warm Line",),
            age_band=AgeBand.OLDER_ADULT,
            looking="w",
            match=("Grief and loss", "Chronic illness"),
            accessibility="Hard of hearing: video with captions, or in person.",
            contacts=8,
        ),
        Person(
            "Juno",
            ACTIVE,
            peer="peer2",
            programs=("Thursday Circles",),
            pronouns="she/they",
            email=True,
            reach="email",
            safe="nny",
            looking="g",
            match=("LGBTQ+",),
            private=("Domestic violence",),
            withdrawn=(P.SHARE_REFERRER,),
            note="Email only, please: no calls or texts to the phone on file.",
            contacts=6,
        ),
        Person(
            "Marisol",
            ACTIVE,
            peer="peer4",
            programs=("Thursday Circles",),
            languages=("es", "en"),
            reach="text",
            looking="g",
            match=("Parent or caregiver of someone with a mental-health condition", "Language"),
            family=(FamilyRelationship.PARENT, "Tomás"),
            consents=(P.CONTACT_TEXT,),
            contacts=5,
        ),
        Person(
            "Brisa",
            ACTIVE,
            peer="peer4",
            programs=("Recovery Mentors",),
            languages=("es", "en"),
            match=("Alcohol", "Immigration"),
            consents=(P.EVALUATION, P.RESEARCH),
            contacts=7,
        ),
        Person(
            "Paloma",
            ACTIVE,
            peer="peer4",
            programs=("Harbor Warm Line",),
            languages=("es",),
            reach="text",
            looking="w",
            match=("Faith",),
            consents=(P.CONTACT_TEXT,),
            withdrawn=(P.RESEARCH,),
            contacts=3,
        ),
        # Young people (harbor's youth program serves ages 12–25).
        Person(
            "Sparrow",
            ACTIVE,
            peer="peer3",
            programs=("Next Wave Youth Peers",),
            age=13,
            reach="text",
            looking="mg",
            match=("Anxiety",),
            guardian=("Teresa Vance", "Mother"),
            consents=(P.EVALUATION, P.CONTACT_TEXT),
            note="Her mom drives her to the library on Wednesdays.",
            contacts=5,
        ),
        Person(
            "Cielo",
            ACTIVE,
            peer="peer3",
            programs=("Next Wave Youth Peers",),
            age=15,
            part2=True,
            languages=("en", "es"),
            reach="text",
            match=("Cannabis",),
            guardian=("Rosa Delgado", "Grandmother (legal guardian)"),
            note="Asked that we do not call home; text only.",
            safe="nyn",
            contacts=6,
        ),
        Person(
            "Quill",
            ACTIVE,
            peer="peer3",
            programs=("Next Wave Youth Peers", "Harbor Warm Line"),
            age=17,
            reach="text",
            looking="mw",
            match=("Young carer",),
            guardian=("Renata Marsh", "Mother"),
            family=(FamilyRelationship.YOUNG_CARER, "Renata"),
            consents=(P.CONTACT_TEXT,),
            contacts=7,
        ),
        # Paused and closed.
        Person(
            "Moss",
            PAUSED,
            peer="peer2",
            programs=("Recovery Mentors",),
            match=("Alcohol",),
            note="Taking a break while staying with family out of state; will call when back.",
            contacts=3,
        ),
        Person(
            "Thistle", PAUSED, peer="peer4", programs=("Thursday Circles",), looking="g", match=("Anxiety",), contacts=2
        ),
        Person(
            "Heron",
            CLOSED,
            peer="peer",
            programs=("Recovery Mentors",),
            closed_reason=ClosedReason.GOALS_MET,
            match=("Alcohol",),
            contacts=6,
        ),
        Person(
            "Kestrel",
            CLOSED,
            peer="peer3",
            programs=("Harbor Warm Line",),
            closed_reason=ClosedReason.MOVED_ON,
            looking="w",
            contacts=3,
        ),
        Person(
            "Piper",
            CLOSED,
            peer="peer2",
            programs=("Thursday Circles",),
            closed_reason=ClosedReason.UNREACHABLE,
            looking="g",
            contacts=2,
        ),
    ),
    profiles={
        "peer": {
            "bio": (
                "I've been in recovery from alcohol for eleven years, and I served in the Navy before that. "
                "I remember how lonely the first months felt. I'm steady and practical: I'll meet you for "
                "coffee, help you sort out a form, or just listen."
            ),
            "languages": ["en"],
            "specialties": ["recovery", "veterans"],
            "modalities": ["in_person", "phone", "text"],
            "service_area": "Downtown Portland and the harbor district",
            "availability": {"mon": ["morning", "afternoon"], "wed": ["morning", "afternoon"], "thu": ["evening"]},
            "caseload_limit": 8,
            "shared": ["Alcohol", "Military service", "PTSD"],
        },
        "peer2": {
            "bio": (
                "I live with depression and anxiety, and I found my footing again in a peer group much like "
                "ours. I co-facilitate the Thursday circles and answer the warm line on Sundays. As a queer "
                "person I know how much it matters to feel seen, and I'll go at your pace."
            ),
            "languages": ["en", "vi"],
            "specialties": ["lgbtq", "bipoc"],
            "modalities": ["in_person", "video", "phone"],
            "service_area": "Portland peninsula and South Portland",
            "availability": {"tue": ["afternoon", "evening"], "thu": ["afternoon", "evening"], "sun": ["afternoon"]},
            "caseload_limit": 8,
            "shared": ["Depression", "Anxiety", "LGBTQ+", "BIPOC"],
        },
        "peer3": {
            "bio": (
                "I'm 23 and spent part of my teens in foster care. Being a teenager is hard enough without "
                "everything else, and what helped me was an adult who listened and didn't lecture. I meet "
                "young people after school, in person, by text or on video."
            ),
            "languages": ["en"],
            "specialties": ["youth", "lgbtq"],
            "modalities": ["in_person", "text", "video"],
            "service_area": "Eastside, near the library",
            "availability": {"mon": ["afternoon"], "wed": ["afternoon"], "fri": ["afternoon", "evening"]},
            "caseload_limit": 6,
            "shared": ["Foster care", "Anxiety", "Cannabis"],
        },
        "peer4": {
            "bio": (
                "I moved to Maine from El Salvador fifteen years ago and know what it is to start over far from "
                "family. I'm in recovery from alcohol and I'm a mother of two. Hablo español: I offer support in "
                "Spanish and English, and I love walking alongside families."
            ),
            "languages": ["es", "en"],
            "specialties": ["recovery", "family", "faith"],
            "modalities": ["in_person", "phone", "text"],
            "service_area": "Portland and Westbrook",
            "availability": {"tue": ["morning"], "wed": ["evening"], "sat": ["morning", "afternoon"]},
            "caseload_limit": 8,
            "shared": ["Immigration", "Alcohol", "Language", "Faith"],
        },
    },
)

RIVERBEND = OrgPeople(
    slug="riverbend",
    area_code="314",
    postcode="63102",
    care_team="Riverbend Behavioral Health care team",
    part2_program="Riverbend Family & Peer Support, Riverbend Warm Line",
    people=(
        Person(
            "Clover",
            ENQUIRY,
            source=Source.SELF_REFERRAL,
            waiting_days=0,
            email=True,
            reach="email",
            safe="?yy",
            looking="g",
            note="Her son was recently diagnosed; looking for other parents who understand.",
        ),
        Person("Bramble", ENQUIRY, source=Source.WARMLINE, waiting_days=1, safe="???", looking="wm"),
        Person("Larkspur", ENQUIRY, source=Source.REFERRAL, waiting_days=3, age_band=AgeBand.YOUNG_ADULT, looking="g"),
        Person("Cedar", ENQUIRY, waiting_days=5, pronouns="he/him"),
        Person("Tansy", ENQUIRY, source=Source.SELF_REFERRAL, waiting_days=7, email=True, reach="email", safe="??y"),
        Person(
            "Yarrow",
            ENQUIRY,
            source=Source.REFERRAL,
            waiting_days=9,
            safe="???",
            note="Referral from the county crisis team follow-up; has not been reached yet.",
        ),
        # Young people first, so their families can be linked to their records.
        Person(
            "Indigo",
            ACTIVE,
            peer="peer3",
            programs=("Young Adult Peer Groups",),
            age=13,
            pronouns="they/them",
            reach="text",
            looking="g",
            match=("Anxiety",),
            guardian=("Fern Abernathy", "Mother"),
            contacts=6,
        ),
        Person(
            "Juniper",
            ACTIVE,
            peer="peer3",
            programs=("Young Adult Peer Groups",),
            age=15,
            looking="g",
            match=("LGBTQ+",),
            guardian=("Owen Bell", "Father"),
            consents=(P.EVALUATION,),
            contacts=5,
        ),
        Person(
            "Sage",
            ACTIVE,
            peer="peer3",
            programs=("Young Adult Peer Groups",),
            age=17,
            reach="text",
            looking="gm",
            match=("Depression",),
            guardian=("Dolores Finch", "Aunt (legal guardian)"),
            consents=(P.CONTACT_TEXT,),
            contacts=7,
        ),
        Person(
            "Reed",
            ACTIVE,
            peer="peer2",
            programs=("Young Adult Peer Groups", "Riverbend Warm Line"),
            age=22,
            pronouns="he/him",
            looking="gw",
            match=("Psychosis / hearing voices",),
            contacts=9,
        ),
        Person(
            "Saffron",
            ACTIVE,
            peer="peer3",
            programs=("Young Adult Peer Groups",),
            age=20,
            email=True,
            safe="yyy",
            looking="gm",
            match=("LGBTQ+",),
            private=("Eating disorders",),
            consents=(P.SHARE_REFERRER,),
            source=Source.REFERRAL,
            contacts=5,
        ),
        # Families: family members are participants in their own right.
        Person(
            "Fern",
            ACTIVE,
            peer="peer",
            programs=("Family Navigators",),
            legal_name="Fern Abernathy",
            looking="mg",
            match=("Parent or caregiver of someone with a mental-health condition",),
            family=(FamilyRelationship.PARENT, "Indigo"),
            contacts=8,
        ),
        Person(
            "Hazel",
            ACTIVE,
            peer="peer",
            programs=("Family Navigators",),
            match=("Parent or caregiver of someone with a mental-health condition",),
            family=(FamilyRelationship.PARENT, "Reed"),
            consents=(P.SHARE_REFERRER,),
            contacts=7,
        ),
        Person(
            "Birch",
            ACTIVE,
            peer="peer2",
            programs=("Family Navigators",),
            looking="g",
            match=("Partner",),
            family=(FamilyRelationship.PARTNER, "Danny"),
            contacts=6,
        ),
        Person(
            "Poppy",
            ACTIVE,
            peer="peer",
            programs=("Family Navigators",),
            match=("Sibling",),
            family=(FamilyRelationship.SIBLING, "Mo"),
            contacts=4,
        ),
        Person(
            "Meadow",
            ACTIVE,
            peer="peer2",
            programs=("Family Navigators",),
            age_band=AgeBand.ADULT,
            match=("Parent or caregiver of someone with a mental-health condition",),
            family=(FamilyRelationship.CHILD, "Walt"),
            contacts=3,
        ),
        Person(
            "Ivy",
            ACTIVE,
            peer="peer",
            programs=("Family Navigators",),
            family=(FamilyRelationship.PARENT, "Jesse"),
            contacts=2,
            started_days_ago=10,
        ),
        Person(
            "Nova",
            ACTIVE,
            peer="peer2",
            programs=("Riverbend Warm Line",),
            email=True,
            reach="email",
            safe="yyy",
            looking="w",
            match=("Bipolar",),
            consents=(P.CONTACT_EMAIL, P.EVALUATION, P.RESEARCH),
            contacts=10,
        ),
        Person(
            "Wilder",
            ACTIVE,
            peer="peer",
            programs=("Riverbend Warm Line",),
            looking="w",
            match=("Depression",),
            private=("Suicide-attempt survivor",),
            withdrawn=(P.EVALUATION,),
            contacts=5,
        ),
        Person(
            "Alder",
            ACTIVE,
            peer="peer",
            programs=("Riverbend Warm Line",),
            part2=True,
            legal_name="Alder Quinlan",
            looking="wm",
            match=("Alcohol",),
            consents=(P.SHARE_CARE_TEAM,),
            contacts=6,
        ),
        Person(
            "Rain",
            PAUSED,
            peer="peer2",
            programs=("Riverbend Warm Line",),
            looking="w",
            note="Asked for a pause over the harvest season; check in next month.",
            contacts=3,
        ),
        Person(
            "Cove",
            PAUSED,
            peer="peer",
            programs=("Family Navigators",),
            family=(FamilyRelationship.PARENT, "Toby"),
            contacts=2,
        ),
        Person(
            "Thorne",
            CLOSED,
            peer="peer2",
            programs=("Riverbend Warm Line",),
            closed_reason=ClosedReason.CHOSE_TO_STOP,
            looking="w",
            contacts=3,
        ),
        Person(
            "Bay",
            CLOSED,
            peer="peer3",
            programs=("Young Adult Peer Groups",),
            age=19,
            closed_reason=ClosedReason.GOALS_MET,
            looking="g",
            contacts=6,
        ),
        Person(
            "Haven",
            CLOSED,
            peer="peer",
            programs=("Family Navigators",),
            closed_reason=ClosedReason.MOVED_ON,
            family=(FamilyRelationship.PARENT, "Kit"),
            contacts=4,
        ),
    ),
    profiles={
        "peer": {
            "bio": (
                "My brother lives with schizophrenia, and for years I was the one making the calls at 2 a.m. "
                "I learned, slowly, to look after him and myself. As a family peer specialist I help parents, "
                "partners and siblings find their footing and their voice."
            ),
            "languages": ["en"],
            "specialties": ["family"],
            "modalities": ["in_person", "phone", "video"],
            "service_area": "St. Louis city and the river towns",
            "availability": {"mon": ["evening"], "tue": ["morning", "afternoon"], "thu": ["morning", "afternoon"]},
            "caseload_limit": 10,
            "shared": ["Sibling", "Psychosis / hearing voices"],
        },
        "peer2": {
            "bio": (
                "I live with bipolar disorder and have been well for many years, with some bumps along the way. "
                "I answer the warm line most evenings and meet people one-on-one. It helps to talk to someone "
                "who simply gets it, and I'd like to be that person for you."
            ),
            "languages": ["en"],
            "specialties": ["lgbtq", "faith"],
            "modalities": ["phone", "video", "in_person"],
            "service_area": "North St. Louis County",
            "availability": {"mon": ["evening"], "wed": ["evening"], "fri": ["evening"], "sat": ["afternoon"]},
            "caseload_limit": 8,
            "shared": ["Bipolar", "Partner", "Faith"],
        },
        "peer3": {
            "bio": (
                "I'm a youth peer specialist and a college student. I went through an eating disorder and a lot "
                "of anxiety in high school, and I know how much it helps to hear from someone only a few years "
                "ahead. I run the young adult groups and meet one-on-one too."
            ),
            "languages": ["en", "asl"],
            "specialties": ["youth", "lgbtq"],
            "modalities": ["in_person", "video", "text"],
            "service_area": "Riverbend Commons and downtown",
            "availability": {"tue": ["afternoon"], "thu": ["afternoon", "evening"], "sat": ["morning"]},
            "caseload_limit": 6,
            "shared": ["Eating disorders", "Anxiety", "LGBTQ+"],
        },
    },
)

DEMO_PEOPLE = (HARBOR, RIVERBEND)

# --- What contacts look like --------------------------------------------------------------------

TOPICS: dict[str, list[str]] = {
    ServiceModel.MENTORSHIP: [
        "wellness plan",
        "recovery goals",
        "housing",
        "work",
        "sleep",
        "benefits",
        "connection",
        "family",
        "coping tools",
        "appointments",
    ],
    ServiceModel.GROUP: ["group check-in", "connection", "coping tools", "family", "self-care"],
    ServiceModel.WARMLINE: ["loneliness", "a hard day", "sleep", "connection", "self-care"],
    "family": ["boundaries", "self-care", "talking with my loved one", "family group", "respite"],
    "youth": ["school", "friends", "family", "coping tools", "art night", "sleep"],
}
NOTES: dict[str, list[str]] = {
    ServiceModel.MENTORSHIP: [
        "Met at the wellness center. {name} talked through the week and chose one small goal for the next.",
        "Phone check-in. {name} is sleeping better and sounded more settled.",
        "We went over the wellness plan together; {name} added a walk after work as a coping tool.",
        "{name} said the weekend was hard. We talked about what helped last time, and they called a friend.",
        "Walked to the food pantry together. {name} asked about housing options; I shared the list.",
        "{name} is getting ready for a job interview and wanted to practise answers.",
        "{name} marked a milestone this week and wants to keep meeting weekly.",
        "We talked about boundaries with family. {name} wants to try saying no to one thing this week.",
        "{name} asked for help with the benefits form. We did half and will finish next time.",
        "Checked in after the appointment {name} was nervous about. It went better than expected.",
    ],
    ServiceModel.GROUP: [
        "{name} came to the circle and shared for the first time.",
        "{name} was quieter than usual in the circle this week; I checked in afterwards.",
        "{name} stayed after the circle to talk about what they are looking forward to.",
    ],
    ServiceModel.WARMLINE: [
        "{name} called in the evening wanting someone to talk to. Calmer by the end of the call.",
        "{name} felt lonely after the move; we talked about the Thursday circle.",
        "{name} called to say the week went well.",
    ],
    "family": [
        "{name} talked about how hard it is to watch {loved} struggle, and about looking after themselves too.",
        "Shared the family group schedule with {name}; they plan to come next week.",
        "{name} wants to talk with {loved} about support without pushing. We practised together.",
        "{name} is tired; we made a short list of things that help them rest.",
    ],
    "youth": [
        "Met after school at the library. {name} talked about friends and a big test coming up.",
        "{name} is enjoying art night with the group.",
        "Texted before the weekend; {name} has a plan for Saturday.",
        "{name} wanted to talk about a falling-out with a friend. We thought through what to say.",
    ],
}
MINUTES: dict[str, tuple[int, int]] = {
    ServiceModel.MENTORSHIP: (30, 75),
    ServiceModel.GROUP: (60, 90),
    ServiceModel.WARMLINE: (8, 35),
}


# --- Loading ------------------------------------------------------------------------------------


def _birthday(age: int, today: date) -> date:
    """A date of birth that makes someone ``age`` today (their birthday was about four months ago)."""
    anchor = today - timedelta(days=120)
    try:
        return anchor.replace(year=anchor.year - age)
    except ValueError:  # 29 February
        return anchor.replace(year=anchor.year - age, day=28)


def _safety(flag: str) -> bool | None:
    return {"y": True, "n": False}.get(flag)


def _service_model(program: Program) -> str:
    if program.offers_mentorship:
        return ServiceModel.MENTORSHIP
    if program.offers_groups:
        return ServiceModel.GROUP
    return ServiceModel.WARMLINE


def _at(organisation: Organisation, days_ago: int, rng: random.Random) -> datetime:
    """A plausible local time (9:00–19:45) ``days_ago`` days back in the organisation's time zone."""
    tz = ZoneInfo(organisation.timezone)
    day = timezone.localdate(timezone=tz) - timedelta(days=days_ago)
    moment = datetime.combine(day, time(rng.randint(9, 19), rng.choice([0, 15, 30, 45])), tzinfo=tz)
    return min(moment, timezone.now() - timedelta(minutes=30))


@dataclass
class _Staff:
    coordinator: User
    peers: dict[str, User]


class _Loader:
    def __init__(self, spec: OrgPeople, organisation: Organisation, staff: _Staff) -> None:
        self.spec = spec
        self.organisation = organisation
        self.staff = staff
        self.programs = {p.name: p for p in Program.objects.filter(organisation=organisation)}
        self.terms = {t.label: t for t in LivedExperienceTerm.objects.filter(organisation=organisation)}
        self.made: dict[str, Participant] = {
            p.preferred_name: p
            for p in Participant.objects.filter(
                organisation=organisation, preferred_name__in=[person.name for person in spec.people]
            )
        }
        self.today = timezone.localdate()

    def load(self) -> int:
        made = 0
        for number, person in enumerate(self.spec.people):
            if person.name in self.made:
                continue  # already loaded: leave it exactly as it is
            self.made[person.name] = self.person(number, person)
            made += 1
        for key, fields in self.spec.profiles.items():
            self.profile(self.staff.peers[key], fields)
        return made

    # One participant and everything about them.
    def person(self, number: int, person: Person) -> Participant:
        rng = random.Random(f"{self.spec.slug}:{person.name}")  # noqa: S311 - demo data, not secrets
        coordinator = self.staff.coordinator
        peer = self.staff.peers[person.peer] if person.peer else None
        fields: dict[str, Any] = {
            "preferred_name": person.name,
            "legal_name": person.legal_name,
            "pronouns": person.pronouns,
            "date_of_birth": _birthday(person.age, self.today) if person.age is not None else None,
            "age_band": person.age_band,
            "languages": list(person.languages),
            "phone": f"({self.spec.area_code}) 555-01{number:02d}",
            "email": f"{person.name.lower()}.{self.spec.slug}@example.org" if person.email else "",
            "preferred_contact": person.reach,
            "safe_to_voicemail": _safety(person.safe[0]),
            "safe_to_text": _safety(person.safe[1]),
            "safe_to_email": _safety(person.safe[2]),
            "postcode": self.spec.postcode,
            "accessibility_needs": person.accessibility,
            "looking_for_mentorship": "m" in person.looking,
            "looking_for_groups": "g" in person.looking,
            "looking_for_warmline": "w" in person.looking,
            "part2": person.part2,
        }
        if person.source == Source.SELF_REFERRAL:
            participant = services.self_referral_submit(
                organisation=self.organisation,
                message=person.note,
                **{k: v for k, v in fields.items() if k != "preferred_name"},
                preferred_name=person.name,
            )
            if peer is not None:
                services.participant_assign_peer(acting_user=coordinator, participant=participant, peer=peer)
        else:
            participant = services.participant_create(
                acting_user=coordinator,
                organisation=self.organisation,
                source=person.source,
                assigned_peer=peer,
                notes=person.note,
                **fields,
            )

        if person.status == ENQUIRY:
            hours = rng.randint(1, 6) if person.waiting_days == 0 else rng.randint(0, 10)
            created = timezone.now() - timedelta(days=person.waiting_days, hours=hours)
            Participant.objects.filter(pk=participant.pk).update(created_at=created, updated_at=created)
            return participant

        # When did their support start, and when were the contacts?
        if person.status == ACTIVE:
            latest = rng.randint(1, 7)
            earliest = min(89, person.started_days_ago - 1) if person.started_days_ago else rng.randint(35, 89)
        elif person.status == PAUSED:
            latest, earliest = rng.randint(25, 40), 89
        else:
            latest, earliest = rng.randint(40, 55), 89
        started_days_ago = person.started_days_ago or min(earliest + rng.randint(3, 30), 120)
        started = _at(self.organisation, started_days_ago, rng)

        guardian = None
        if person.guardian is not None:
            name, relationship = person.guardian
            guardian = services.guardian_create(
                acting_user=coordinator,
                participant=participant,
                name=name,
                relationship=relationship,
                phone=f"({self.spec.area_code}) 555-01{(number + 50) % 100:02d}",
                is_legal_guardian=True,
            )
        enrolments = [
            services.enrolment_start(acting_user=coordinator, participant=participant, program=self.programs[name])
            for name in person.programs
        ]
        self.consents(participant, person, guardian, rng)
        if person.match or person.private:
            selections = {self.terms[label]: True for label in person.match}
            selections |= {self.terms[label]: False for label in person.private}
            services.participant_set_experiences(
                acting_user=coordinator, participant=participant, selections=selections
            )
        if person.family is not None:
            relationship, loved = person.family
            loved_one = self.made.get(loved)
            services.family_link_create(
                acting_user=coordinator,
                family_member=participant,
                relationship=relationship,
                loved_one=loved_one,
                loved_one_name="" if loved_one is not None else loved,
            )
        self.contacts(participant, person, peer, enrolments, latest, earliest, rng)

        Participant.objects.filter(pk=participant.pk).update(created_at=started, updated_at=started)
        Enrolment.objects.filter(participant=participant).update(created_at=started, started_on=started.date())
        Consent.objects.filter(participant=participant).update(granted_at=started)
        Guardian.objects.filter(participant=participant).update(created_at=started)
        if person.status == PAUSED:
            services.participant_set_status(acting_user=coordinator, participant=participant, status=PAUSED)
        elif person.status == CLOSED:
            for enrolment in enrolments:
                services.enrolment_end(acting_user=coordinator, enrolment=enrolment)
            services.participant_set_status(
                acting_user=coordinator, participant=participant, status=CLOSED, closed_reason=person.closed_reason
            )
            ended = _at(self.organisation, latest - rng.randint(1, 14), rng)
            Participant.objects.filter(pk=participant.pk).update(closed_at=ended)
            Enrolment.objects.filter(participant=participant, status=EnrolmentStatus.ENDED).update(
                ended_on=ended.date()
            )
        return participant

    def consents(self, participant: Participant, person: Person, guardian: Guardian | None, rng: random.Random) -> None:
        """Service delivery for everyone supported, then the purposes they chose, given by the right
        person: a young person who may consent alone does so; otherwise their legal guardian."""
        rule = services.consent_rule(participant)
        by_guardian = rule.is_minor and not rule.may_consent_alone
        if by_guardian and guardian is None:
            raise ValidationError(f"demo: {person.name} needs a guardian to give consent")
        signer = guardian.name if by_guardian and guardian else (person.legal_name or person.name)
        methods = [ConsentMethod.E_SIGNATURE, ConsentMethod.WRITTEN, ConsentMethod.VERBAL]
        for purpose in (P.SERVICE, *person.consents, *person.withdrawn):
            method = rng.choice(methods)
            recipients: dict[str, str] = {P.SHARE_REFERRER: REFERRER_NAME, P.SHARE_CARE_TEAM: self.spec.care_team}
            recipient = recipients.get(purpose, "")
            part2 = person.part2 and purpose in SHARING_PURPOSES
            if part2:
                method = ConsentMethod.E_SIGNATURE  # a Part 2 consent is signed, never verbal
            consent = services.consent_grant(
                acting_user=self.staff.coordinator,
                participant=participant,
                purpose=purpose,
                given_by=ConsentGivenBy.GUARDIAN if by_guardian else ConsentGivenBy.SELF,
                guardian=guardian if by_guardian else None,
                method=method,
                recipient=recipient,
                signature=signer if method == ConsentMethod.E_SIGNATURE else "",
                witness=self.staff.coordinator.full_name if method == ConsentMethod.VERBAL else "",
                part2=part2,
                part2_information=PART2_INFORMATION if part2 else "",
                part2_discloser=self.spec.part2_program if part2 else "",
                part2_expiry_event=PART2_EXPIRY if part2 else "",
            )
            if purpose in person.withdrawn:
                services.consent_withdraw(acting_user=self.staff.coordinator, consent=consent)

    def contacts(
        self,
        participant: Participant,
        person: Person,
        peer: User | None,
        enrolments: list[Enrolment],
        latest: int,
        earliest: int,
        rng: random.Random,
    ) -> None:
        if peer is None or not person.contacts or not enrolments:
            return
        days = sorted(rng.sample(range(latest, earliest + 1), min(person.contacts, earliest - latest + 1)))
        loved = person.family[1] if person.family else ""
        modes = [ContactMode.IN_PERSON, ContactMode.PHONE, ContactMode.VIDEO]
        if participant.safe_to_text:
            modes.append(ContactMode.TEXT)
        notes = {flavour: rng.sample(lines, len(lines)) for flavour, lines in NOTES.items()}  # varied, in turn
        for i, days_ago in enumerate(days):
            program = enrolments[i % len(enrolments)].program
            model = _service_model(program)
            flavour = "youth" if person.age is not None and person.age < 18 else "family" if loved else model
            if model == ServiceModel.WARMLINE:
                mode = rng.choice([ContactMode.PHONE, ContactMode.CHAT])
            elif model == ServiceModel.GROUP:
                mode = rng.choice([ContactMode.IN_PERSON, ContactMode.IN_PERSON, ContactMode.VIDEO])
            else:
                mode = rng.choice(modes)
            low, high = MINUTES[model]
            minutes = rng.randint(5, 15) if mode == ContactMode.TEXT else rng.randint(low, high)
            lines = notes[flavour]
            note = lines[i % len(lines)].format(name=person.name, loved=loved) if rng.random() < 0.8 else ""
            services.contact_record_create(
                acting_user=peer,
                participant=participant,
                organisation=self.organisation,
                program=program,
                service_model=model,
                occurred_at=_at(self.organisation, days_ago, rng),
                duration_minutes=minutes,
                mode=mode,
                topics=rng.sample(TOPICS[flavour], rng.randint(1, 2)),
                notes=note,
                follow_up_needed=i == 0 and person.status == ACTIVE and rng.random() < 0.3,
            )

    def profile(self, user: User, fields: dict[str, Any]) -> None:
        if PeerProfile.objects.filter(organisation=self.organisation, user=user).exists():
            return  # already there: a peer may have edited it since
        shared = [self.terms[label] for label in fields["shared"]]
        services.peer_profile_update(
            acting_user=user,
            organisation=self.organisation,
            user=user,
            shared_experiences=shared,
            **{k: v for k, v in fields.items() if k != "shared"},
        )


def _staff(organisation: Organisation, spec: OrgPeople) -> _Staff:
    def user(key: str) -> User:
        return User.objects.get(email=f"{key}@{organisation.slug}.demo")

    return _Staff(coordinator=user("coordinator"), peers={key: user(key) for key in spec.profiles})


@transaction.atomic
def load_people_demo() -> int:
    """Load the demo's people into both demo organisations; returns how many participants were made."""
    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    made = 0
    for spec in DEMO_PEOPLE:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            services.vocabulary_ensure_defaults(acting_user=None, organisation=organisation)
            made += _Loader(spec, organisation, _staff(organisation, spec)).load()
            load_referrals(organisation, DEMO_REFERRALS[spec.slug])
    return made


# --- Care-team referrals ------------------------------------------------------------------------
# Partners, a referrer account linked to one, and referrals at every step: received (one overdue
# past 48 hours, one just in), contact attempted (its 7-day follow-up overdue), engaged and handed
# back (their 7-day follow-up met by a contact), declined and unreachable. Some people agreed that
# the referrer may hear how it is going (one on a signed form, uploaded), some did not, and one
# withdrew. Times are relative to when the demo is loaded (received N hours ago), so "overdue" stays
# true; people already in the demo with contact records are anchored on their first contact.


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: str
    email: str = ""
    phone: str = ""
    active: bool = True
    referrer: bool = False  # the demo referrer refers for this partner


@dataclass(frozen=True)
class DemoReferral:
    """One referral. ``steps``: (status, hours after receipt). ``received_hours_ago``: None = when
    the person's record was made; ignored when ``anchored`` (received three days before the person's
    first contact record, discharged two days before it, engaged on it)."""

    name: str
    reason: str
    steps: tuple[tuple[str, float], ...] = ()
    received_hours_ago: float | None = 0
    anchored: bool = False
    new: bool = False  # someone new to us, referred through the form
    by_referrer: bool = True  # sent by the demo referrer themself (else a coordinator, naming them)
    named_referrer: bool = True  # False: the partner only
    partner: int | None = 0  # which of the organisation's partners
    discharge_days: int | None = None  # the discharge day, in days after receipt (negative: before)
    urgency: str = ReferralUrgency.ROUTINE
    share: str = ""  # "": no consent to share updates; "signed": an uploaded form; "e_signature"; "withdrawn"
    closes_record: str = ""  # a new person's record closes with this reason when the referral closes


@dataclass(frozen=True)
class OrgReferrals:
    partners: tuple[DemoPartner, ...]
    referrals: tuple[DemoReferral, ...]
    area_code: str


RS = ReferralStatus
ATTEMPTED, ENGAGED, HANDED_BACK, DECLINED, UNREACHABLE = (
    RS.CONTACT_ATTEMPTED,
    RS.ENGAGED,
    RS.HANDED_BACK,
    RS.DECLINED,
    RS.UNREACHABLE,
)


def _org_referrals(
    area_code: str,
    partners: tuple[DemoPartner, ...],
    names: dict[str, str],
    reasons: dict[str, str],
    *,
    attempted_hours: float | None,
) -> OrgReferrals:
    """The same stages in both organisations, with each organisation's own people and partners."""
    return OrgReferrals(
        area_code=area_code,
        partners=partners,
        referrals=(
            # Received 56 hours ago, discharged yesterday: the first contact attempt is overdue.
            DemoReferral(
                names["overdue"],
                reasons["overdue"],
                received_hours_ago=56,
                discharge_days=1,
                urgency=ReferralUrgency.SOON,
            ),
            # Just in, from the referrer's own account, with the signed form uploaded.
            DemoReferral(names["fresh"], reasons["fresh"], received_hours_ago=5, new=True, share="signed"),
            # Leaving hospital in three days: urgent, sent before discharge.
            DemoReferral(
                names["planned"],
                reasons["planned"],
                received_hours_ago=2,
                new=True,
                discharge_days=3,
                urgency=ReferralUrgency.URGENT,
            ),
            # Two attempts, no contact yet: the 7-day follow-up is overdue. They agreed to updates.
            DemoReferral(
                names["attempted"],
                reasons["attempted"],
                steps=((ATTEMPTED, 20), (ATTEMPTED, 80)),
                received_hours_ago=attempted_hours,
                new=attempted_hours is not None,
                by_referrer=False,
                discharge_days=-1,
                urgency=ReferralUrgency.SOON,
                share="e_signature",
            ),
            # Engaged on their first contact, two days after discharge: the 7-day follow-up met.
            DemoReferral(
                names["engaged"],
                reasons["engaged"],
                steps=((ATTEMPTED, 20), (ENGAGED, 72)),
                anchored=True,
                by_referrer=False,
            ),
            # Handed back to the care team after three weeks, the partner named (no referrer account).
            DemoReferral(
                names["handed_back"],
                reasons["handed_back"],
                steps=((ATTEMPTED, 18), (ENGAGED, 72), (HANDED_BACK, 72 + 21 * 24)),
                anchored=True,
                by_referrer=False,
                named_referrer=False,
                partner=1,
            ),
            DemoReferral(
                names["declined"],
                reasons["declined"],
                steps=((ATTEMPTED, 6), (DECLINED, 50)),
                received_hours_ago=20 * 24,
                new=True,
                closes_record=ClosedReason.CHOSE_TO_STOP,
            ),
            # Three attempts over a week, then closed as unreachable; they had agreed to updates and
            # later withdrew that consent, so the referrer no longer sees it.
            DemoReferral(
                names["unreachable"],
                reasons["unreachable"],
                steps=((ATTEMPTED, 10), (ATTEMPTED, 72), (ATTEMPTED, 7 * 24), (UNREACHABLE, 14 * 24)),
                received_hours_ago=40 * 24,
                new=True,
                discharge_days=-1,
                share="withdrawn",
                closes_record=ClosedReason.UNREACHABLE,
            ),
        ),
    )


DEMO_REFERRALS: dict[str, OrgReferrals] = {
    "harbor": _org_referrals(
        "207",
        (
            DemoPartner(
                "Bayview Hospital, inpatient unit",
                PartnerKind.HOSPITAL,
                email="discharge.planning@bayview.example.org",
                phone="(207) 555-0170",
                referrer=True,
            ),
            DemoPartner("Harbor Community Health Center", PartnerKind.CMHC, phone="(207) 555-0171"),
            DemoPartner("Old Port Clinic", PartnerKind.CLINIC, active=False),
        ),
        {
            "overdue": "Tamsin",
            "fresh": "Coral",
            "planned": "Isla",
            "attempted": "Dune",
            "engaged": "Rowan",
            "handed_back": "Heron",
            "declined": "Fennel",
            "unreachable": "Gale",
        },
        {
            "overdue": "Discharged yesterday after two weeks on the unit. Prefers afternoon calls.",
            "fresh": "Asked for someone who has been through a first hospital stay. Happy to be texted.",
            "planned": "Leaving the unit on Friday and worried about the first nights at home.",
            "attempted": "Would like help getting back to work; said mornings are hard.",
            "engaged": "Wants a peer in recovery alongside the outpatient program.",
            "handed_back": "Support in the first weeks after discharge, then back to the clinic team.",
            "declined": "Referred after an emergency visit; unsure about peer support.",
            "unreachable": "Discharged to a shelter; phone number may change.",
        },
        attempted_hours=9 * 24 - 3,  # someone new, waiting nearly nine days in the intake queue
    ),
    "riverbend": _org_referrals(
        "314",
        (
            DemoPartner(
                "Riverbend Behavioral Health, inpatient unit",
                PartnerKind.HOSPITAL,
                email="referrals@rbh.example.org",
                phone="(314) 555-0170",
                referrer=True,
            ),
            DemoPartner("Mercy Street Clinic", PartnerKind.CLINIC, phone="(314) 555-0171"),
        ),
        {
            "overdue": "Larkspur",
            "fresh": "Laurel",
            "planned": "Orrin",
            "attempted": "Yarrow",  # already waiting nine days in the intake queue
            "engaged": "Saffron",
            "handed_back": "Reed",
            "declined": "Kai",
            "unreachable": "Lumen",
        },
        {
            "overdue": "Young adult, discharged yesterday; interested in a group with people their age.",
            "fresh": "Parent of a teenager just admitted; would like to talk to another parent.",
            "planned": "Leaving the unit next week; has asked for a peer who hears voices too.",
            "attempted": "Follow-up after the county crisis team visit; has not been reached yet.",
            "engaged": "Would like a peer who understands eating disorders and LGBTQ+ life.",
            "handed_back": "Peer support through the first month after discharge.",
            "declined": "Offered peer support at discharge; wanted time to think.",
            "unreachable": "Left the unit early; only a work phone number on file.",
        },
        attempted_hours=None,  # Yarrow, received when their record was made
    ),
}


def _signed_form(person: str, recipient: str, organisation: Organisation) -> bytes:
    """A one-page PDF standing in for the scanned, signed consent form (demo only)."""
    from reportlab.lib.pagesizes import LETTER  # type: ignore[import-untyped]
    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    canvas.setTitle("Consent to share updates")
    lines = [
        f"{organisation.name}: consent to share updates",
        "",
        f"I, {person}, agree that {organisation.name} may tell {recipient}",
        "whether they have reached me and how my peer support is going.",
        "No notes of what I talk about are shared. I may withdraw this at any time.",
        "",
        f"Signed: {person}        (demo data: an invented person)",
    ]
    y = 720
    for line in lines:
        canvas.drawString(72, y, line)
        y -= 20
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _ReferralLoader:
    def __init__(self, organisation: Organisation, spec: OrgReferrals) -> None:
        self.organisation = organisation
        self.spec = spec
        self.coordinator = User.objects.get(email=f"coordinator@{organisation.slug}.demo")
        self.referrer = User.objects.get(email=f"referrer@{organisation.slug}.demo")
        self.now = timezone.now()
        self.tz = ZoneInfo(organisation.timezone)

    def partners(self) -> list[PartnerOrganisation]:
        existing = {p.name: p for p in PartnerOrganisation.objects.filter(organisation=self.organisation)}
        made = []
        for demo in self.spec.partners:
            partner = existing.get(demo.name) or referrals.partner_create(
                acting_user=self.coordinator,
                organisation=self.organisation,
                name=demo.name,
                kind=demo.kind,
                contact_email=demo.email,
                contact_phone=demo.phone,
            )
            if demo.referrer and demo.name not in existing:
                referrals.partner_set_referrers(
                    acting_user=self.coordinator, partner=partner, referrers=[self.referrer]
                )
            made.append(partner)
        return made

    def load(self) -> None:
        partners = self.partners()
        for number, demo in enumerate(self.spec.referrals):
            participant = Participant.objects.filter(organisation=self.organisation, preferred_name=demo.name).first()
            if participant is not None and Referral.objects.filter(participant=participant).exists():
                continue  # already loaded
            self.referral(number, demo, participant, partners)
        # Inactive partners are switched off only after the referrals, so a second run finds them.
        for listed, partner in zip(self.spec.partners, partners, strict=True):
            if not listed.active and partner.is_active:
                referrals.partner_update(acting_user=self.coordinator, partner=partner, is_active=False)

    def _received(self, demo: DemoReferral, participant: Participant | None) -> tuple[datetime, date | None]:
        """When it was received and the discharge day."""
        if demo.anchored:
            assert participant is not None
            first = ContactRecord.objects.filter(participant=participant).order_by("occurred_at").first()
            if first is None:
                raise ValidationError(f"demo: {demo.name} needs a contact record to anchor the referral on")
            received = first.occurred_at - timedelta(days=3)
            return received, timezone.localdate(first.occurred_at, self.tz) - timedelta(days=2)
        if demo.received_hours_ago is None:
            assert participant is not None
            received = participant.created_at
        else:
            received = self.now - timedelta(hours=demo.received_hours_ago)
        discharge = None
        if demo.discharge_days is not None:
            discharge = timezone.localdate(received, self.tz) + timedelta(days=demo.discharge_days)
        return received, discharge

    def referral(
        self, number: int, demo: DemoReferral, participant: Participant | None, partners: list[PartnerOrganisation]
    ) -> None:
        partner = partners[demo.partner] if demo.partner is not None else None
        referrer = self.referrer if demo.named_referrer else None
        acting = self.referrer if demo.by_referrer and demo.named_referrer else self.coordinator
        received, discharge = self._received(demo, participant)
        recipient = referrals.recipient_name(referrer=referrer, partner=partner)
        upload = None
        if demo.share == "signed":
            from django.core.files.uploadedfile import SimpleUploadedFile

            content = _signed_form(demo.name, recipient, self.organisation)
            upload = SimpleUploadedFile("signed-consent.pdf", content, content_type="application/pdf")
        consent = None
        if demo.share in ("e_signature", "withdrawn") and participant is not None:
            consent = self._share_consent(participant, recipient)
        elif not demo.share and participant is not None:
            # Someone already here who agreed to updates earlier: that consent goes with the referral.
            consent = referrals.share_consents(participant).filter(recipient=recipient).first()
        new_person = None
        if participant is None:
            new_person = {"preferred_name": demo.name, "phone": f"({self.spec.area_code}) 555-01{85 + number:02d}"}
        # The referral as the form sends it; the discharge day is checked against today, so it is
        # given here and moved with the other dates below.
        referral = referrals.referral_submit(
            acting_user=acting,
            organisation=self.organisation,
            participant=participant,
            new_person=new_person,
            partner=partner,
            referrer=referrer,
            reason=demo.reason,
            urgency=demo.urgency,
            consent_attested=True,
            consent=consent,
            consent_document=upload,
        )
        participant = referral.participant
        if consent is None and demo.share in ("e_signature", "withdrawn"):
            consent = self._share_consent(participant, recipient)
            Referral.objects.filter(pk=referral.pk).update(consent=consent)
            referral.consent = consent
        self._backdate_event(referral, received)
        stamps: dict[str, datetime] = {}
        for status, hours in demo.steps:
            at = min(received + timedelta(hours=hours), self.now - timedelta(minutes=20))
            referral = referrals.referral_advance(acting_user=self.coordinator, referral=referral, status=status)
            self._backdate_event(referral, at)
            stamps.setdefault(status, at)
        closed = demo.steps[-1][1] if demo.steps and demo.steps[-1][0] in (HANDED_BACK, DECLINED, UNREACHABLE) else None
        Referral.objects.filter(pk=referral.pk).update(
            received_at=received,
            created_at=received,
            updated_at=received,
            discharge_date=discharge,
            first_attempt_at=stamps.get(ATTEMPTED),
            engaged_at=stamps.get(ENGAGED),
            closed_at=min(received + timedelta(hours=closed), self.now - timedelta(minutes=20)) if closed else None,
        )
        if referral.consent_id:
            Consent.objects.filter(pk=referral.consent_id).update(granted_at=received)
            ConsentDocument.objects.filter(consent=referral.consent_id).update(uploaded_at=received)
        if consent is not None and demo.share == "withdrawn":
            services.consent_withdraw(acting_user=self.coordinator, consent=consent)
            Consent.objects.filter(pk=consent.pk).update(withdrawn_at=received + timedelta(days=10))
        if new_person is not None:
            Participant.objects.filter(pk=participant.pk).update(created_at=received, updated_at=received)
            if demo.closes_record:
                services.participant_set_status(
                    acting_user=self.coordinator,
                    participant=participant,
                    status=ParticipantStatus.CLOSED,
                    closed_reason=demo.closes_record,
                )
                Participant.objects.filter(pk=participant.pk).update(closed_at=received + timedelta(hours=closed or 0))

    def _share_consent(self, participant: Participant, recipient: str) -> Consent:
        return services.consent_grant(
            acting_user=self.coordinator,
            participant=participant,
            purpose=ConsentPurpose.SHARE_REFERRER,
            given_by=ConsentGivenBy.SELF,
            method=ConsentMethod.E_SIGNATURE,
            signature=participant.legal_name or participant.preferred_name,
            recipient=recipient,
        )

    @staticmethod
    def _backdate_event(referral: Referral, at: datetime) -> None:
        newest = ReferralEvent.objects.filter(referral=referral).order_by("-at").first()
        assert newest is not None
        ReferralEvent.objects.filter(pk=newest.pk).update(at=at)


def load_referrals(organisation: Organisation, spec: OrgReferrals) -> None:
    """Partners and referrals for one demo organisation (inside its tenant scope). Idempotent."""
    _ReferralLoader(organisation, spec).load()
