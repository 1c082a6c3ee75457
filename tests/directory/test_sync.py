"""The directory's index: built from public groups and programs, public (P1) fields only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from alongside.accounts import services as account_services
from alongside.core.tenancy import tenant_scope
from alongside.directory.models import Listing, ListingKind
from alongside.directory.sync import mentorship_source_id, reindex, sync_group
from alongside.groups.models import GroupStatus, Registration, RegistrationStatus, Session
from alongside.groups.vocab import GroupFormat, Joining
from tests.groups.helpers import groups_program, make_group, make_schedule

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


def listings(**filters: Any) -> list[Listing]:
    return list(Listing.objects.filter(**filters).order_by("kind", "name"))


def test_a_public_group_is_listed_with_its_public_fields(harbor: Any) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(
            harbor, "Tuesday Circle", topics=["anxiety"], accessibility=["wheelchair"], description="A calm circle."
        )
        make_schedule(group)  # Tuesdays 18:00 for 90 minutes
        make_schedule(group, "FREQ=MONTHLY;BYDAY=1SA", start_time=datetime(2026, 1, 1, 10, 0).time())
    summary = reindex(now=NOW)
    assert summary["created"] == 2  # the group, and the tenant's mentorship program at its site
    (listing,) = listings(kind=ListingKind.GROUP)
    assert listing.source_id == group.pk
    assert listing.url == f"/directory/groups/{harbor.organisation.slug}/tuesday-circle/"
    assert (listing.latitude, listing.longitude) == (39.7817, -89.6501)
    assert listing.address == "1 Main Street" and listing.postal_code == "62701"
    assert listing.is_in_person and not listing.is_online
    assert listing.weekly == [{"day": 2, "time": "18:00", "end_time": "19:30"}]  # weekly rules only
    assert listing.days_mask == (1 << 2) | (1 << 6)  # Tuesday, and the monthly Saturday
    assert listing.times_mask == 4 | 1  # evening and morning
    assert listing.next_start is not None and listing.next_start > NOW
    assert listing.topics_mask and listing.access_mask and listing.language_codes == ",en,"
    again = reindex(now=NOW)
    assert (again["created"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 2)


def test_nothing_personal_reaches_the_index(harbor: Any) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(
            harbor,
            "Evening Group",
            format=GroupFormat.HYBRID,
            joining=Joining.REGISTRATION,
            online_url="https://video.example/secret-room",
            dial_in="+1 555 0100 999",
            join_details_public=True,  # ignored: the group needs registration
        )
        schedule = make_schedule(group)
        Registration.objects.create(
            organisation=harbor.organisation,
            group=group,
            first_name="Zebedee",
            email="zebedee@example.org",
            phone="+1 555 0199",
            status=RegistrationStatus.REGISTERED,
            source="public",
        )
        Session.objects.create(
            organisation=harbor.organisation,
            group=group,
            schedule=schedule,
            original_start=datetime(2026, 1, 6, 23, 0, tzinfo=UTC),
            starts_at=datetime(2026, 1, 6, 23, 0, tzinfo=UTC),
            ends_at=datetime(2026, 1, 7, 0, 30, tzinfo=UTC),
            notes="Sensitive session notes",
        )
    reindex(now=NOW)
    (listing,) = listings(kind=ListingKind.GROUP)
    dumped = json.dumps(model_to_dict(listing), default=str)
    for secret in (
        "Zebedee",
        "zebedee@example.org",
        "0199",
        "Sensitive",
        "secret-room",
        "0100 999",
        harbor.user("peer").email,
        harbor.user("peer").full_name,
    ):
        assert secret not in dumped
    assert listing.is_online and listing.is_in_person
    assert listing.conference_url == "" and listing.conference_phone == ""


def test_a_drop_in_group_with_public_join_details_shows_them(harbor: Any) -> None:
    with tenant_scope(harbor.organisation):
        make_group(
            harbor,
            "Online Drop In",
            format=GroupFormat.ONLINE,
            site=None,
            online_url="https://video.example/open",
            join_details_public=True,
        )
    reindex(now=NOW)
    (listing,) = listings(kind=ListingKind.GROUP)
    assert listing.conference_url == "https://video.example/open"
    assert listing.is_online and not listing.is_in_person and listing.cell is None


@pytest.mark.parametrize(
    "hide",
    [
        {"is_public": False},
        {"status": GroupStatus.PAUSED},
        {"status": GroupStatus.ENDED},
        "program_private",
        "program_inactive",
    ],
)
def test_groups_that_are_not_public_are_never_listed_and_leave_the_index(harbor: Any, hide: Any) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Quiet Group")
    reindex(now=NOW)
    assert listings(kind=ListingKind.GROUP)
    with tenant_scope(harbor.organisation):
        if hide == "program_private":
            group.program.is_public = False
            group.program.save()
        elif hide == "program_inactive":
            group.program.is_active = False
            group.program.save()
        else:
            for name, value in hide.items():
                setattr(group, name, value)
            group.save()
    assert reindex(now=NOW)["deleted"] == 1
    assert listings(kind=ListingKind.GROUP) == []


def test_the_group_listener_refreshes_and_removes_one_listing(harbor: Any) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Listener Group")
    sync_group(group, now=NOW)
    (listing,) = listings(kind=ListingKind.GROUP)
    with tenant_scope(harbor.organisation):
        group.name = "Renamed Group"
        group.save()
    sync_group(group, now=NOW)
    assert Listing.objects.get(pk=listing.pk).name == "Renamed Group"
    with tenant_scope(harbor.organisation):
        group.is_public = False
        group.save()
    sync_group(group, now=NOW)
    assert listings(kind=ListingKind.GROUP) == []


def test_warm_lines_and_mentorship_programs(harbor: Any) -> None:
    with tenant_scope(harbor.organisation):
        line = groups_program(
            harbor, "Evening Warm Line", offers_groups=False, offers_warmline=True, offers_mentorship=True, sites=[]
        )
    reindex(now=NOW)
    warm = Listing.objects.get(kind=ListingKind.WARMLINE)
    assert warm.source_id == line.pk and warm.is_online and not warm.is_in_person
    assert warm.weekly == [] and warm.url == f"/directory/listings/{warm.pk}/"
    # The tenant's mentorship program has a site (a listing there); the new one has none.
    at_site = Listing.objects.get(source_id=mentorship_source_id(harbor.program, harbor.site))
    assert at_site.is_in_person and at_site.city == "Springfield"
    no_place = Listing.objects.get(kind=ListingKind.MENTORSHIP, source_id=mentorship_source_id(line, None))
    assert no_place.is_online and no_place.latitude is None
    with tenant_scope(harbor.organisation):
        account_services.program_update(acting_user=harbor.user("admin"), program=line, is_public=False)
    assert reindex(now=NOW)["deleted"] == 2
    assert not Listing.objects.filter(source_id__in=[line.pk]).exists()


def test_the_reindex_command(harbor: Any, riverbend: Any) -> None:
    out = StringIO()
    call_command("directory", "reindex", "--org", harbor.organisation.slug, stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["organisations"] == 1 and summary["created"] == 1
    assert not Listing.objects.filter(organisation=riverbend.organisation).exists()
    with pytest.raises(Exception, match="No organisation"):
        call_command("directory", "reindex", "--org", "nobody-here", stdout=StringIO())


def test_a_group_written_through_its_services_reaches_the_directory_on_commit(
    harbor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from alongside.groups import services as group_services

    with tenant_scope(harbor.organisation):
        program = groups_program(harbor, "Service Groups")
        with django_capture_on_commit_callbacks(execute=True):
            group = group_services.group_create(
                acting_user=harbor.user("admin"),
                organisation=harbor.organisation,
                name="Wednesday Welcome",
                program=program,
                format=GroupFormat.IN_PERSON,
                site=harbor.site,
                facilitator=harbor.user("peer"),
            )
    assert Listing.objects.get(kind=ListingKind.GROUP, source_id=group.pk).name == "Wednesday Welcome"
    with tenant_scope(harbor.organisation), django_capture_on_commit_callbacks(execute=True):
        group_services.group_set_status(acting_user=harbor.user("admin"), group=group, status=GroupStatus.PAUSED)
    assert not Listing.objects.filter(kind=ListingKind.GROUP, source_id=group.pk).exists()
