"""Participants' right of access: everything held about a person, audited, behind re-authentication."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people import services
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db


def url(tenant: Any, participant: Any, fmt: str = "") -> str:
    return f"/app/{tenant.organisation.slug}/people/{participant.pk}/export/" + (f"?format={fmt}" if fmt else "")


def test_export_has_everything_and_is_audited(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    with scopes_disabled():
        services.contact_record_create(
            acting_user=harbor.user("peer"),
            participant=sam,
            organisation=harbor.organisation,
            service_model="mentorship",
            occurred_at=timezone.now(),
            duration_minutes=30,
            mode="phone",
            notes="Talked about a new job",
        )
        services.consent_grant(
            acting_user=harbor.user("coordinator"),
            participant=sam,
            purpose="research",
            given_by="self",
            method="e_signature",
            signature="Sam Sample",
        )
    coordinator = harbor.user("coordinator")
    client = login_as(coordinator)
    before = AuditEvent.objects.filter(action="participant.export").count()
    response = client.get(url(harbor, sam, "json"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="participant-{sam.pk}.json"'
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["participant"]["preferred_name"] == "Sam Sample"
    assert data["participant"]["notes"] == "Sample notes that must stay private"
    assert data["contacts"][0]["notes"] == "Talked about a new job"
    assert data["consents"][0]["purpose"] == "research"
    assert data["redisclosure_notice"] == ""
    event = AuditEvent.objects.filter(action="participant.export").order_by("-id").first()
    assert AuditEvent.objects.filter(action="participant.export").count() == before + 1
    assert event is not None and (event.actor_id, event.object_id) == (coordinator.pk, str(sam.pk))
    page = client.get(url(harbor, sam))
    assert page.status_code == 200 and "Talked about a new job" in page.content.decode()


def test_part2_exports_carry_the_redisclosure_notice(harbor: Any, login_as: Any) -> None:
    sam = tenant_participant(harbor)
    with scopes_disabled():
        services.participant_update(acting_user=harbor.user("coordinator"), participant=sam, part2=True)
    data = json.loads(login_as(harbor.user("admin")).get(url(harbor, sam, "json")).content)
    assert "42 CFR part 2" in data["redisclosure_notice"]


@pytest.mark.parametrize(("role", "status"), [("peer", 403), ("supervisor", 403), ("funder", 403), ("referrer", 403)])
def test_export_is_its_own_permission(harbor: Any, login_as: Any, role: str, status: int) -> None:
    assert login_as(harbor.user(role)).get(url(harbor, tenant_participant(harbor))).status_code == status


def test_export_asks_for_the_password_again(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    sam = tenant_participant(harbor)
    start = timezone.now()
    for minute in range(5, 16, 5):
        with time_machine.travel(start + timedelta(minutes=minute)):
            client.get("/app/harbor/")
    with time_machine.travel(start + timedelta(minutes=16)):
        response = client.get(url(harbor, sam, "json"))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/confirm/")
    assert not AuditEvent.objects.filter(action="participant.export").exists()
