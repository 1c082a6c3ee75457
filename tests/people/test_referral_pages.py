"""The care-team referral pages: who reaches which page, partners, the referral form (known person,
new person, the signed form uploaded, all or nothing), the board with its clocks, overdue list and
follow-up rates, one referral and its steps, and the referrer's own view gated by the person's
consent. Query counts do not grow with the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.models import User
from alongside.audit.models import AuditEvent
from alongside.people import referrals, services
from alongside.people.models import (
    Consent,
    ConsentDocument,
    Participant,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    Source,
)
from tests.conftest import ROLES
from tests.people.routes_referrals import REASON, tenant_partner, tenant_referral

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York, harbor's time zone


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def url(name: str, tenant: Any, *args: Any) -> str:
    return reverse(f"people:{name}", args=[tenant.organisation.slug, *args])


def person(tenant: Any, name: str = "Robin", **fields: Any) -> Participant:
    return services.participant_create(
        acting_user=tenant.user("coordinator"), organisation=tenant.organisation, preferred_name=name, **fields
    )


def refer(tenant: Any, participant: Participant, **kwargs: Any) -> Referral:
    kwargs.setdefault("reason", "Leaving the ward; would like someone who has been there")
    kwargs.setdefault("urgency", "soon")
    kwargs.setdefault("consent_attested", True)
    kwargs.setdefault("acting_user", tenant.user("coordinator"))
    return referrals.referral_create(organisation=tenant.organisation, participant=participant, **kwargs)


def share(tenant: Any, participant: Participant, recipient: str, **kwargs: Any) -> Consent:
    return services.consent_grant(
        acting_user=tenant.user("coordinator"),
        participant=participant,
        purpose="share_referrer",
        recipient=recipient,
        given_by=kwargs.pop("given_by", "self"),
        method="e_signature",
        signature=participant.preferred_name,
        **kwargs,
    )


def second_referrer(tenant: Any) -> User:
    user = account_services.user_create(
        acting_user=None, email="referrer2@harbor.test", password="x" * 20, full_name="Dr. Ada Byrne"
    )
    account_services.membership_grant(acting_user=None, organisation=tenant.organisation, user=user, role="referrer")
    return user


def counts() -> dict[str, int]:
    return {
        "participants": Participant.objects.count(),
        "referrals": Referral.objects.count(),
        "events": ReferralEvent.objects.count(),
        "consents": Consent.objects.count(),
        "documents": ConsentDocument.objects.count(),
        "partners": PartnerOrganisation.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def query_count(client: Any, path: str) -> int:
    client.get(path)  # warm: the session's last-seen time, the menu
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def upload(content: bytes = PDF, name: str = "signed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- Who reaches which page ---------------------------------------------------------------------

PAGES = {
    "referral_board": "referrals.view",
    "referral_create": "referrals.create",
    "my_referrals": "referrals.view_own",
    "partner_list": "partners.view",
    "partner_create": "partners.change",
}
HOLDERS = {
    "referrals.view": {"admin", "coordinator"},
    "referrals.create": {"admin", "coordinator", "referrer"},
    "referrals.view_own": {"referrer"},
    "partners.view": {"admin", "coordinator"},
    "partners.change": {"admin", "coordinator"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_referral_pages(harbor: Any, login_as: Any, role: str) -> None:
    referral = tenant_referral(harbor)
    client = login_as(harbor.user(role))
    for name, permission in PAGES.items():
        expected = 200 if role in HOLDERS[permission] else 403
        assert client.get(url(name, harbor)).status_code == expected, (name, role)
    detail = client.get(url("referral_detail", harbor, referral.pk)).status_code
    assert detail == (200 if role in {"admin", "coordinator"} else 403)
    own = client.get(url("my_referral_detail", harbor, referral.pk)).status_code
    assert own == (200 if role == "referrer" else 403)
    step = client.post(url("referral_step", harbor, referral.pk), {"status": "contact_attempted"}).status_code
    assert step == (302 if role in {"admin", "coordinator"} else 403)


def test_the_outsider_gets_404_everywhere(harbor: Any, outsider: User, login_as: Any) -> None:
    referral = tenant_referral(harbor)
    partner = tenant_partner(harbor)
    client = login_as(outsider)
    for path in [
        url("referral_board", harbor),
        url("referral_create", harbor),
        url("referral_detail", harbor, referral.pk),
        url("my_referral_detail", harbor, referral.pk),
        url("partner_list", harbor),
        url("partner_edit", harbor, partner.pk),
    ]:
        assert client.get(path).status_code == 404, path
    # Under the outsider's own organisation, harbor's ids look missing.
    assert client.get(reverse("people:referral_detail", args=["riverbend", referral.pk])).status_code == 404
    assert client.get(reverse("people:partner_edit", args=["riverbend", partner.pk])).status_code == 404
    assert client.get(reverse("people:referral_detail", args=["riverbend", "not-a-uuid"])).status_code == 404


def test_navigation_by_role(harbor: Any, login_as: Any) -> None:
    coordinator = login_as(harbor.user("coordinator")).get("/app/harbor/").content.decode()
    for path in ["/app/harbor/referrals/", "/app/harbor/partners/", "/app/harbor/referrals/new/"]:
        assert f'href="{path}"' in coordinator
    assert 'href="/app/harbor/my-referrals/"' not in coordinator
    referrer = login_as(harbor.user("referrer")).get("/app/harbor/").content.decode()
    assert 'href="/app/harbor/my-referrals/"' in referrer and 'href="/app/harbor/referrals/new/"' in referrer
    assert 'href="/app/harbor/referrals/"' not in referrer and 'href="/app/harbor/partners/"' not in referrer
    peer = login_as(harbor.user("peer")).get("/app/harbor/").content.decode()
    assert "/referrals/" not in peer and "/partners/" not in peer


def test_pages_are_not_cached(harbor: Any, login_as: Any) -> None:
    referral = tenant_referral(harbor)
    client = login_as(harbor.user("coordinator"))
    for path in [url("referral_board", harbor), url("referral_detail", harbor, referral.pk)]:
        assert "no-store" in client.get(path)["Cache-Control"]
    referrer = login_as(harbor.user("referrer"))
    assert "no-store" in referrer.get(url("my_referral_detail", harbor, referral.pk))["Cache-Control"]


# --- Partners -----------------------------------------------------------------------------------


def test_partner_create_and_edit(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    referrer = harbor.user("referrer")
    response = client.post(
        url("partner_create", harbor),
        {
            "name": "  Bayview Hospital, inpatient unit ",
            "kind": "hospital",
            "contact_email": "Referrals@Bayview.example.org",
            "contact_phone": "(207) 555-0100",
            "is_active": "on",
            "referrers": [str(referrer.pk)],
        },
    )
    assert response.status_code == 302 and response["Location"] == url("partner_list", harbor)
    partner = PartnerOrganisation.objects.get(organisation=harbor.organisation)
    assert (partner.name, partner.kind, partner.contact_email, partner.is_active) == (
        "Bayview Hospital, inpatient unit",
        "hospital",
        "referrals@bayview.example.org",
        True,
    )
    assert list(partner.referrers.all()) == [referrer]
    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert actions == ["partner.set_referrers", "partner.create"]
    page = client.get(url("partner_list", harbor)).content.decode()
    assert "Bayview Hospital, inpatient unit" in page and referrer.display_name in page

    response = client.post(
        url("partner_edit", harbor, partner.pk), {"name": "Bayview Hospital", "kind": "clinic", "referrers": []}
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.name, partner.kind, partner.is_active) == ("Bayview Hospital", "clinic", False)
    assert not partner.referrers.exists()
    assert AuditEvent.objects.filter(action="partner.update", object_id=str(partner.pk)).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "   ", "kind": "hospital"}, "name", "Enter the partner"),
        ({"name": "Harbor General Hospital", "kind": "hospital"}, "name", "already listed"),
        ({"name": "New", "kind": "spaceship"}, "kind", "Choose one of the listed kinds"),
        ({"name": "New", "kind": "clinic", "contact_email": "not-an-email"}, "contact_email", "email address"),
        ({"name": "x" * 201, "kind": "clinic"}, "name", "200"),
        ({"name": "New", "kind": "clinic", "referrers": ["PEER"]}, "referrers", "referrer role"),
        ({"name": "New", "kind": "clinic", "referrers": ["not-a-uuid"]}, "referrers", "referrer role"),
        ({"name": "New", "kind": "clinic", "referrers": ["FOREIGN"]}, "referrers", "referrer role"),
    ],
)
def test_partner_bad_input_writes_nothing(
    harbor: Any, riverbend: Any, login_as: Any, data: dict[str, Any], field: str, message: str
) -> None:
    tenant_partner(harbor)
    data = dict(data)
    swap = {"PEER": str(harbor.user("peer").pk), "FOREIGN": str(riverbend.user("referrer").pk)}
    if "referrers" in data:
        data["referrers"] = [swap.get(v, v) for v in data["referrers"]]
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("partner_create", harbor), data)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert counts() == before


def test_partner_edit_bad_input_changes_nothing(harbor: Any, login_as: Any) -> None:
    partner = tenant_partner(harbor)
    other = referrals.partner_create(acting_user=harbor.user("admin"), organisation=harbor.organisation, name="Other")
    client = login_as(harbor.user("admin"))
    before = counts()
    response = client.post(url("partner_edit", harbor, partner.pk), {"name": "other", "kind": "clinic"})
    assert response.status_code == 400 and "already listed" in response.content.decode()
    assert counts() == before
    partner.refresh_from_db()
    assert partner.name == "Harbor General Hospital" and other.name == "Other"


# --- The referral form: coordinators ------------------------------------------------------------


def test_coordinator_refers_someone_new(harbor: Any, login_as: Any) -> None:
    partner = tenant_partner(harbor)
    client = login_as(harbor.user("coordinator"))
    response = client.post(
        url("referral_create", harbor),
        {
            "preferred_name": " Kit ",
            "phone": "(207) 555-0199",
            "partner": str(partner.pk),
            "referrer": str(harbor.user("referrer").pk),
            "reason": "Second admission this year; asked for a peer who knows the ward.",
            "discharge_date": "",
            "urgency": "urgent",
            "consent_attested": "on",
        },
    )
    referral = Referral.objects.get(participant__preferred_name="Kit")
    assert response.status_code == 302 and response["Location"] == url("referral_detail", harbor, referral.pk)
    kit = referral.participant
    assert (kit.status, kit.source, kit.phone, kit.phone_digits) == (
        "enquiry",
        Source.REFERRAL,
        "(207) 555-0199",
        "2075550199",
    )
    assert (referral.partner, referral.referrer, referral.urgency, referral.consent) == (
        partner,
        harbor.user("referrer"),
        "urgent",
        None,
    )
    assert referral.created_by == harbor.user("coordinator")
    # The new person waits in the intake queue, from a referral.
    queue = client.get(reverse("people:intake_queue", args=["harbor"])).content.decode()
    assert "Kit" in queue and "Referred by a care team" in queue


def test_coordinator_finds_a_known_person_and_chooses_their_consent(harbor: Any, login_as: Any) -> None:
    robin = person(harbor, "Robin", email="robin@example.org")
    person(harbor, "Robinson")
    person(harbor, "Sam")
    consent = share(harbor, robin, "Dr. Sam Okafor")
    share(harbor, robin, "Withdrawn Team")
    withdrawn = Consent.objects.get(recipient="Withdrawn Team")
    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=withdrawn)
    client = login_as(harbor.user("coordinator"))
    found = client.get(url("referral_create", harbor) + "?q=robin").content.decode()
    assert f"?participant={robin.pk}" in found and "Refer Robinson" in found and "Refer Sam" not in found
    page = client.get(url("referral_create", harbor) + f"?participant={robin.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "You are referring <strong>Robin</strong>" in text
    assert "Names Dr. Sam Okafor" in text and "Withdrawn Team" not in text
    assert 'name="preferred_name"' not in text  # a known person: no new-person fields
    response = client.post(
        url("referral_create", harbor) + f"?participant={robin.pk}",
        {
            "participant": str(robin.pk),
            "reason": "Would like support after discharge.",
            "discharge_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "urgency": "soon",
            "consent_attested": "on",
            "consent": str(consent.pk),
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(participant=robin)
    assert referral.consent == consent and referral.discharge_date == timezone.localdate() - timedelta(days=2)
    assert Participant.objects.filter(preferred_name="Robin").count() == 1


def test_a_person_outside_the_record_scope_looks_missing(harbor: Any, riverbend: Any, login_as: Any) -> None:
    foreign = person(riverbend, "Elsewhere")
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("referral_create", harbor) + f"?participant={foreign.pk}").status_code == 404
    assert client.get(url("referral_create", harbor) + f"?participant={uuid4()}").status_code == 404
    before = counts()
    response = client.post(
        url("referral_create", harbor),
        {"participant": str(foreign.pk), "reason": "x", "urgency": "soon", "consent_attested": "on"},
    )
    assert response.status_code == 404 and "Elsewhere" not in response.content.decode()
    assert counts() == before


def test_upload_records_a_written_consent_keeps_the_form_and_refers_in_one_go(harbor: Any, login_as: Any) -> None:
    partner = tenant_partner(harbor)
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.post(
        url("referral_create", harbor),
        {
            "preferred_name": "Noor",
            "email": "NOOR@example.org",
            "partner": str(partner.pk),
            "reason": "Discharged on Friday; would like a call.",
            "urgency": "routine",
            "consent_attested": "on",
            "consent_document": upload(),
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(participant__preferred_name="Noor")
    consent = referral.consent
    assert consent is not None
    assert (consent.purpose, consent.method, consent.given_by, consent.recipient) == (
        "share_referrer",
        "written",
        "self",
        "Harbor General Hospital",  # no referrer named: the partner is the recipient
    )
    document = ConsentDocument.objects.get(consent=consent)
    assert (document.filename, document.content_type, document.size) == ("signed.pdf", "application/pdf", len(PDF))
    assert referral.participant.email == "noor@example.org"
    actions = list(AuditEvent.objects.filter(id__gt=before).order_by("id").values_list("action", flat=True))
    assert actions == ["participant.create", "consent.grant", "consent_document.upload", "referral.create"]
    assert referrals.referrer_may_see_status(referral)


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "preferred_name": "Noor",
        "email": "noor@example.org",
        "reason": "Would like a call.",
        "urgency": "routine",
        "consent_attested": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_attested": None}, "consent_attested", "Confirm that the person agreed"),
        ({"reason": "   "}, "reason", "Say why"),
        ({"reason": "x" * 5001}, "reason", "5000"),
        ({"preferred_name": "  "}, "preferred_name", "Enter the name"),
        ({"email": None}, "email", "email address or a phone number"),
        ({"email": "nope"}, "email", "email address like"),
        ({"urgency": "yesterday"}, "urgency", "Choose one of the listed urgencies"),
        ({"urgency": None}, "urgency", "Choose one"),
        ({"partner": "FOREIGN"}, "partner", "Choose one of the listed partners"),
        ({"partner": "not-a-uuid"}, "partner", "Choose one of the listed partners"),
        ({"partner": "INACTIVE"}, "partner", "Choose one of the listed partners"),
        ({"referrer": "PEER"}, "referrer", "Choose one of the listed referrers"),
        ({"discharge_date": "soon"}, "discharge_date", "as a date"),
        ({"discharge_date": "2001-01-01"}, "discharge_date", "within the last year"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the past"),
        ({"consent_document": "TEXT"}, "consent_document", "PDF, PNG or JPEG"),
        ({"consent_document": "EMPTY"}, "consent_document", "empty"),
        ({"consent_document": "BROKEN_PDF"}, "consent_document", "incomplete"),
        ({"consent_document": "NOBODY"}, "consent_document", "Choose the referrer or the partner"),
        ({"consent_document": "MINOR", "date_of_birth": "MINOR_DOB"}, "consent_document", "parent or legal guardian"),
    ],
)
def test_referral_form_bad_input_writes_nothing(
    harbor: Any, riverbend: Any, login_as: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    partner = tenant_partner(harbor)
    inactive = referrals.partner_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, name="Closed Clinic", is_active=False
    )
    today = timezone.localdate()
    swap: dict[str, Any] = {
        "FOREIGN": str(tenant_partner(riverbend).pk),
        "INACTIVE": str(inactive.pk),
        "PEER": str(harbor.user("peer").pk),
        "TEXT": SimpleUploadedFile("form.pdf", b"just words, not a PDF", content_type="application/pdf"),
        "EMPTY": SimpleUploadedFile("form.pdf", b"", content_type="application/pdf"),
        "BROKEN_PDF": SimpleUploadedFile("form.pdf", b"%PDF-1.4\nno end", content_type="application/pdf"),
        "NOBODY": upload(),
        "MINOR": upload(),
        "MINOR_DOB": today.replace(year=today.year - 12).isoformat(),
    }
    data = _form(**{k: swap.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()})
    if overrides.get("consent_document") == "MINOR":
        data["partner"] = str(partner.pk)  # someone to name; the age is what fails
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("referral_create", harbor), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in str(errors.get(field, "")), errors
    assert counts() == before
    # The error summary links to the field.
    assert 'class="form-errors"' in response.content.decode()


def test_a_part2_record_needs_its_part2_consent_not_an_upload(harbor: Any, login_as: Any) -> None:
    briar = person(harbor, "Briar", part2=True)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(
        url("referral_create", harbor) + f"?participant={briar.pk}",
        {
            "participant": str(briar.pk),
            "referrer": str(harbor.user("referrer").pk),
            "reason": "Support after discharge.",
            "urgency": "soon",
            "consent_attested": "on",
            "consent_document": upload(),
        },
    )
    assert response.status_code == 400
    assert "42 CFR Part 2" in str(response.context["form"].errors["consent_document"])
    assert counts() == before  # the consent granted first was rolled back with everything else


def test_choosing_a_consent_and_uploading_is_one_too_many(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    consent = share(harbor, robin, "Dr. Sam Okafor")
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(
        url("referral_create", harbor) + f"?participant={robin.pk}",
        {
            "participant": str(robin.pk),
            "reason": "x",
            "urgency": "soon",
            "consent_attested": "on",
            "consent": str(consent.pk),
            "consent_document": upload(),
        },
    )
    assert response.status_code == 400 and "not both" in response.content.decode()
    assert counts() == before


def test_a_restricted_record_takes_no_new_referral(harbor: Any, login_as: Any) -> None:
    robin = person(harbor)
    Participant.objects.filter(pk=robin.pk).update(erasure_requested_at=datetime.now(UTC))
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(
        url("referral_create", harbor) + f"?participant={robin.pk}",
        {"participant": str(robin.pk), "reason": "x", "urgency": "soon", "consent_attested": "on"},
    )
    assert response.status_code in (400, 404)
    assert counts() == before


# --- The referral form: referrers ---------------------------------------------------------------


def test_referrer_refers_someone_new_as_themself_for_their_partner(harbor: Any, login_as: Any) -> None:
    partner = tenant_partner(harbor)  # the referrer is linked to it
    referrer = harbor.user("referrer")
    known = person(harbor, "Known Person")
    client = login_as(referrer)
    page = client.get(url("referral_create", harbor) + f"?q=Known&participant={known.pk}").content.decode()
    # A referrer cannot browse or choose people: always someone new.
    assert "Known Person" not in page and 'name="preferred_name"' in page
    assert 'id="id_referrer"' not in page and 'id="id_partner"' not in page and 'name="consent"' not in page
    assert f"for {partner.name}" in page
    response = client.post(
        url("referral_create", harbor),
        _form(
            preferred_name="Jess",
            referrer=str(harbor.user("admin").pk),  # ignored: a referrer refers as themself
            partner=str(uuid4()),
            consent_document=upload(name="../../etc/consent form.PDF"),
        ),
    )
    referral = Referral.objects.get(participant__preferred_name="Jess")
    assert response.status_code == 302
    assert response["Location"] == url("my_referral_detail", harbor, referral.pk)
    assert (referral.referrer, referral.partner, referral.created_by) == (referrer, partner, referrer)
    assert referral.consent is not None and referral.consent.recipient == referrer.display_name
    assert ConsentDocument.objects.get(consent=referral.consent).filename == "consent form.pdf"
    assert referrals.referrer_may_see_status(referral)
    assert "Known Person" not in client.get(url("my_referrals", harbor)).content.decode()


def test_referrer_with_several_partners_chooses_among_their_own(harbor: Any, login_as: Any) -> None:
    first = tenant_partner(harbor)
    second = referrals.partner_create(acting_user=harbor.user("admin"), organisation=harbor.organisation, name="Clinic")
    other = referrals.partner_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, name="Not Mine"
    )
    referrer = harbor.user("referrer")
    referrals.partner_set_referrers(acting_user=harbor.user("admin"), partner=second, referrers=[referrer])
    client = login_as(referrer)
    page = client.get(url("referral_create", harbor)).content.decode()
    assert first.name in page and "Clinic" in page and "Not Mine" not in page
    before = counts()
    missing = client.post(url("referral_create", harbor), _form())
    assert missing.status_code == 400 and "Choose the partner you are referring for" in missing.content.decode()
    not_mine = client.post(url("referral_create", harbor), _form(partner=str(other.pk)))
    assert not_mine.status_code == 400
    assert counts() == before
    assert client.post(url("referral_create", harbor), _form(partner=str(second.pk))).status_code == 302
    assert Referral.objects.get().partner == second


def test_referrer_without_a_partner_refers_as_themself(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("referrer"))
    assert client.post(url("referral_create", harbor), _form()).status_code == 302
    referral = Referral.objects.get()
    assert referral.partner is None and referral.referrer == harbor.user("referrer")


# --- The board ----------------------------------------------------------------------------------


def _board_data(tenant: Any) -> dict[str, Referral]:
    """Referrals at known moments before NOW (10 March 2026, 11:00 in New York)."""
    made: dict[str, Referral] = {}
    bayview = tenant_partner(tenant)
    with time_machine.travel(NOW - timedelta(hours=53), tick=False):  # due 10 Mar 06:00 New York: 5 hours ago
        made["late"] = refer(tenant, person(tenant, "Late"), partner=bayview)
    with time_machine.travel(NOW - timedelta(hours=20), tick=False):  # due 11 Mar 15:00 New York
        made["fresh"] = refer(tenant, person(tenant, "Fresh"), urgency="urgent")
    with time_machine.travel(NOW - timedelta(days=12), tick=False):
        made["discharged"] = refer(tenant, person(tenant, "Discharged"), discharge_date=date(2026, 2, 28))
    with time_machine.travel(NOW - timedelta(days=11), tick=False):
        referrals.referral_advance(
            acting_user=tenant.user("peer"), referral=made["discharged"], status="contact_attempted"
        )
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        made["closed"] = refer(tenant, person(tenant, "Closed"))
        referrals.referral_advance(acting_user=tenant.user("peer"), referral=made["closed"], status="declined")
    return made


def test_board_shows_open_referrals_with_their_clocks(harbor: Any, login_as: Any) -> None:
    _board_data(harbor)
    with time_machine.travel(NOW, tick=False):
        client = login_as(harbor.user("coordinator"))
        response = client.get(url("referral_board", harbor))
    assert response.status_code == 200
    rows = {row["referral"].participant.preferred_name: row for row in response.context["rows"]}
    assert list(rows) == ["Discharged", "Late", "Fresh"]  # open only, longest waiting first
    late = rows["Late"]["clocks"]["first_attempt"]
    assert late["overdue"] and late["state_text"] == "Overdue by 5\xa0hours"
    fresh = rows["Fresh"]["clocks"]["first_attempt"]
    assert not fresh["overdue"] and fresh["state_text"] == "Due in 1\xa0day"
    discharged = rows["Discharged"]["clocks"]
    assert discharged["first_attempt"]["met"]
    assert discharged["follow_up_7"]["overdue"] and discharged["follow_up_7"]["state_text"] == "Overdue by 3\xa0days"
    assert not discharged["follow_up_30"]["overdue"] and discharged["follow_up_30"]["due"] == date(2026, 3, 30)
    assert "follow_up_7" not in rows["Late"]["clocks"]
    text = response.content.decode()
    assert "Overdue by 5\xa0hours" in text and "Tue 10 Mar, 06:00" in text  # New York time (EDT)
    assert "Due by" in text and "Wed 11 Mar, 15:00" in text
    assert "Times are in America/New_York." in text
    assert response.context["overdue_count"] == 2
    assert "Closed" not in [r["referral"].participant.preferred_name for r in response.context["rows"]]


def test_board_overdue_only_and_filters(harbor: Any, login_as: Any) -> None:
    made = _board_data(harbor)
    with time_machine.travel(NOW, tick=False):
        client = login_as(harbor.user("coordinator"))

        def names(query: str) -> list[str]:
            response = client.get(url("referral_board", harbor) + query)
            assert response.status_code == 200
            return [row["referral"].participant.preferred_name for row in response.context["rows"]]

        assert names("?overdue=on") == ["Discharged", "Late"]
        assert names(f"?overdue=on&partner={made['late'].partner_id}") == ["Late"]
        assert names("?status=received") == ["Late", "Fresh"]
        assert names("?status=contact_attempted") == ["Discharged"]
        assert names("?urgency=urgent") == ["Fresh"]
        assert names("?overdue=on&urgency=urgent") == []
        # An unknown filter value is left out with a note, never an error.
        response = client.get(url("referral_board", harbor) + "?status=teleported&partner=nope&period=7")
        assert response.status_code == 200 and len(response.context["rows"]) == 3
        assert "That filter is not one we know" in response.content.decode()


def test_board_follow_up_rates(harbor: Any, login_as: Any) -> None:
    # Discharged 40 and 50 days before NOW, one with a contact on day 3, one without.
    met = person(harbor, "Met")
    for who, discharged in ((met, date(2026, 1, 29)), (person(harbor, "Missed"), date(2026, 1, 19))):
        with time_machine.travel(datetime(2026, 1, 18, tzinfo=UTC), tick=False):
            refer(harbor, who, discharge_date=discharged)
    with time_machine.travel(datetime(2026, 2, 1, 17, tzinfo=UTC), tick=False):
        services.contact_record_create(
            acting_user=harbor.user("peer"),
            participant=met,
            organisation=harbor.organisation,
            service_model="referral",
            occurred_at=datetime(2026, 2, 1, 16, tzinfo=UTC),
            duration_minutes=20,
            mode="phone",
        )
    with time_machine.travel(NOW, tick=False):
        client = login_as(harbor.user("coordinator"))
        rates = client.get(url("referral_board", harbor)).context["rates"]
        assert rates["denominator"] == 2
        assert [(r["numerator"], r["percent"]) for r in rates["items"]] == [(1, 50), (1, 50)]
        assert client.get(url("referral_board", harbor) + "?period=180").context["rates"]["denominator"] == 2
        text = client.get(url("referral_board", harbor)).content.decode()
    assert "7-day follow-up rate" in text and "1 of 2 people" in text


def test_board_paginates(harbor: Any, login_as: Any) -> None:
    for i in range(27):
        refer(harbor, person(harbor, f"P{i:02d}"))
    client = login_as(harbor.user("coordinator"))
    first = client.get(url("referral_board", harbor) + "?urgency=soon")
    assert len(first.context["rows"]) == 25 and "urgency=soon&amp;page=2" in first.content.decode()
    assert len(client.get(url("referral_board", harbor) + "?urgency=soon&page=2").context["rows"]) == 2


def test_board_query_count_does_not_grow(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    partner = tenant_partner(harbor)

    def add(n: int) -> None:
        for i in range(n):
            who = person(harbor, f"Person {i}")
            referral = refer(
                harbor, who, partner=partner, referrer=harbor.user("referrer"), discharge_date=timezone.localdate()
            )
            if i % 2:
                referrals.referral_advance(
                    acting_user=harbor.user("peer"), referral=referral, status="contact_attempted"
                )

    add(3)
    few = {q: query_count(client, url("referral_board", harbor) + q) for q in ("", "?overdue=on")}
    add(30)
    many = {q: query_count(client, url("referral_board", harbor) + q) for q in ("", "?overdue=on")}
    assert many == few


# --- One referral -------------------------------------------------------------------------------


def test_detail_shows_everything_audits_the_read_and_offers_the_next_steps(harbor: Any, login_as: Any) -> None:
    referral = tenant_referral(harbor)
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.get(url("referral_detail", harbor, referral.pk))
    text = response.content.decode()
    assert REASON in text and "Sam Sample" in text and "Harbor General Hospital" in text
    assert url("contact_create", harbor, referral.participant_id) in text
    assert reverse("people:participant_detail", args=["harbor", referral.participant_id]) in text
    assert [value for value, _label in response.context["steps"]] == ["contact_attempted", "declined", "unreachable"]
    assert "does not see how it is going" in text  # no consent names the referrer
    event = AuditEvent.objects.get(id__gt=before)
    assert (event.action, event.object_id) == ("referral.view", str(referral.pk))
    assert "Federal confidentiality notice" not in text

    response = client.post(url("referral_step", harbor, referral.pk), {"status": "contact_attempted"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "contact_attempted" and referral.first_attempt_at is not None
    page = client.get(url("referral_detail", harbor, referral.pk))
    assert [value for value, _label in page.context["steps"]] == [
        "contact_attempted",
        "engaged",
        "declined",
        "unreachable",
    ]
    assert [e.status for e in page.context["events"]] == ["received", "contact_attempted"]


@pytest.mark.parametrize("status", ["handed_back", "received", "teleported", ""])
def test_a_step_that_does_not_follow_changes_nothing(harbor: Any, login_as: Any, status: str) -> None:
    referral = tenant_referral(harbor)
    client = login_as(harbor.user("coordinator"))
    before = counts()
    response = client.post(url("referral_step", harbor, referral.pk), {"status": status})
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert counts() == before
    referral.refresh_from_db()
    assert referral.status == "received"


def test_detail_of_a_part2_record_carries_the_notice(harbor: Any, login_as: Any) -> None:
    referral = refer(harbor, person(harbor, "Briar", part2=True))
    text = login_as(harbor.user("admin")).get(url("referral_detail", harbor, referral.pk)).content.decode()
    assert "Federal confidentiality notice" in text and "42 CFR part 2" in text


def test_detail_says_when_the_referrer_sees_the_status(harbor: Any, login_as: Any) -> None:
    referral = tenant_referral(harbor)
    share(harbor, referral.participant, harbor.user("referrer").display_name)
    text = login_as(harbor.user("coordinator")).get(url("referral_detail", harbor, referral.pk)).content.decode()
    assert "sees this referral" in text


# --- The referrer's own view --------------------------------------------------------------------


def test_referrer_sees_status_only_with_consent_and_withdrawal_takes_effect_at_once(harbor: Any, login_as: Any) -> None:
    referral = tenant_referral(harbor)
    referrals.referral_advance(acting_user=harbor.user("coordinator"), referral=referral, status="contact_attempted")
    referrer = harbor.user("referrer")
    client = login_as(referrer)

    def pages() -> tuple[str, str]:
        listing = client.get(url("my_referrals", harbor))
        detail = client.get(url("my_referral_detail", harbor, referral.pk))
        assert listing.status_code == detail.status_code == 200
        return listing.content.decode(), detail.content.decode()

    listing, detail = pages()
    for text in (listing, detail):
        assert "Sam Sample" in text and "Contact attempted" not in text and "first contact attempt" not in text
    assert "Shared only with the person's consent." in listing
    assert "only with the person's consent" in detail

    consent = share(harbor, referral.participant, referrer.display_name)
    listing, detail = pages()
    assert "Contact attempted" in listing and "first contact attempt" in listing
    assert "Contact attempted" in detail and "agreed that we may tell you" in detail

    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=consent)
    listing, detail = pages()
    for text in (listing, detail):
        assert "Contact attempted" not in text


def test_referrer_never_sees_other_referrers_referrals(harbor: Any, login_as: Any) -> None:
    mine = tenant_referral(harbor)
    other = second_referrer(harbor)
    theirs = refer(
        harbor, person(harbor, "Theirs"), referrer=other, reason="A reason only Dr. Byrne and the team may read"
    )
    unnamed = refer(harbor, person(harbor, "Nobody's"), partner=tenant_partner(harbor))  # same partner, no referrer
    client = login_as(harbor.user("referrer"))
    listing = client.get(url("my_referrals", harbor)).content.decode()
    assert "Sam Sample" in listing and "Theirs" not in listing and "Nobody&#x27;s" not in listing
    for foreign in (theirs, unnamed):
        response = client.get(url("my_referral_detail", harbor, foreign.pk))
        assert response.status_code == 404
        assert "Dr. Byrne" not in response.content.decode()
    assert client.get(url("my_referral_detail", harbor, uuid4())).status_code == 404
    # Their own referral shows the reason they wrote, and the read is audited.
    before = last_audit_id()
    assert REASON in client.get(url("my_referral_detail", harbor, mine.pk)).content.decode()
    assert AuditEvent.objects.filter(id__gt=before, action="referral.view").count() == 1


def test_referrer_sees_a_part2_status_with_the_notice(harbor: Any, login_as: Any) -> None:
    referrer = harbor.user("referrer")
    briar = person(harbor, "Briar", part2=True)
    referral = refer(harbor, briar, referrer=referrer)
    services.consent_grant(
        acting_user=harbor.user("coordinator"),
        participant=briar,
        purpose="share_referrer",
        recipient=referrer.display_name,
        given_by="self",
        method="e_signature",
        signature="Briar",
        part2=True,
        part2_information="Dates of contact",
        part2_discloser="Harbor Peers",
        part2_expiry_event="When I stop",
    )
    text = login_as(referrer).get(url("my_referral_detail", harbor, referral.pk)).content.decode()
    assert "Received" in text and "Federal confidentiality notice" in text


def test_my_referrals_query_count_does_not_grow(harbor: Any, login_as: Any) -> None:
    referrer = harbor.user("referrer")
    client = login_as(referrer)

    def add(n: int) -> None:
        for i in range(n):
            who = person(harbor, f"Person {i}")
            refer(harbor, who, referrer=referrer)
            if i % 2:
                share(harbor, who, referrer.display_name)

    add(2)
    few = query_count(client, url("my_referrals", harbor))
    add(20)
    assert query_count(client, url("my_referrals", harbor)) == few


def test_batched_visibility_agrees_with_consent_covers(harbor: Any) -> None:
    referrer = harbor.user("referrer")
    partner = tenant_partner(harbor)
    today = timezone.localdate()
    cases: list[Referral] = []

    def case(name: str, *, referrer_named: bool = True, **fields: Any) -> Participant:
        who = person(harbor, name, **fields)
        cases.append(refer(harbor, who, referrer=referrer if referrer_named else None, partner=partner))
        return who

    case("No consent")
    share(harbor, case("Names the referrer"), referrer.display_name.upper())
    share(harbor, case("Names the partner"), partner.name)
    share(harbor, case("Partner only", referrer_named=False), partner.name.lower())
    withdrawn = share(harbor, case("Withdrawn"), referrer.display_name)
    services.consent_withdraw(acting_user=harbor.user("coordinator"), consent=withdrawn)
    expired = share(harbor, case("Expired"), referrer.display_name, valid_until=today + timedelta(days=1))
    Consent.objects.filter(pk=expired.pk).update(valid_until=today - timedelta(days=1))
    share(harbor, case("Part 2 without a Part 2 consent", part2=False), referrer.display_name)
    Participant.objects.filter(preferred_name="Part 2 without a Part 2 consent").update(part2=True)
    teen = case("Teen", date_of_birth=today.replace(year=today.year - 16) - timedelta(days=3))
    guardian = services.guardian_create(acting_user=harbor.user("coordinator"), participant=teen, name="Parent")
    Consent.objects.create(
        organisation=harbor.organisation,
        participant=teen,
        purpose="share_referrer",
        recipient=referrer.display_name,
        given_by="guardian",
        guardian=guardian,
        method="written",
        granted_at=datetime.now(UTC),
    )
    fresh = list(
        Referral.objects.filter(pk__in=[r.pk for r in cases]).select_related(
            "participant__organisation", "partner", "referrer"
        )
    )
    batched = referrals.referrer_visibility(fresh)
    one_by_one = {r.pk: referrals.referrer_may_see_status(r) for r in fresh}
    assert batched == one_by_one
    by_name = {r.participant.preferred_name: batched[r.pk] for r in fresh}
    assert by_name == {
        "No consent": False,
        "Names the referrer": True,
        "Names the partner": False,
        "Partner only": True,
        "Withdrawn": False,
        "Expired": False,
        "Part 2 without a Part 2 consent": False,
        "Teen": False,
    }


def test_clock_states_agree_with_overdue(harbor: Any) -> None:
    made = _board_data(harbor)
    for step_hours in (0, 30, 24 * 8, 24 * 40):
        now = NOW + timedelta(hours=step_hours)
        for referral in made.values():
            referral.refresh_from_db()
            clocks = referrals.referral_clocks(referral, now)
            assert [c.name for c in clocks if c.is_overdue] == referrals.overdue(referral, now)
