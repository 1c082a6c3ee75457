"""HSDS 3.0: the public API under /api/v1/hsds/ and `alongside directory export-hsds`, validated against
the specification's own JSON Schemas (vendored in tests/data/hsds-3, read with jsonschema)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from alongside.accounts import services as account_services
from alongside.groups.models import GroupStatus, Registration, RegistrationStatus, Session
from alongside.groups.vocab import Audience, Community, GroupFormat, Joining, Topic
from tests.conftest import Tenant
from tests.groups.helpers import groups_program, make_group, make_schedule

pytestmark = pytest.mark.django_db

SPECS = Path(__file__).resolve().parent.parent / "data" / "hsds-3"
HSDS = "/api/v1/hsds"
BASE = "https://alongside.invalid/hsds-3/"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}
SECRETS = ("Quillfeather", "Zebulon", "zebulon@", "5550109999", "Confidential", "j/secret")


def _validators() -> dict[str, jsonschema.Draft202012Validator]:
    schemas: dict[str, dict[str, Any]] = {}
    for path in [*SPECS.glob("*.json"), *SPECS.glob("compiled/*.json")]:
        if path.name in {"openapi.json", "tabular.json"}:
            continue
        key = f"{path.parent.name}/{path.name}" if path.parent.name == "compiled" else path.name
        schemas[key] = {**json.loads(path.read_text()), "$id": BASE + key}
    registry: Registry[Any] = Registry().with_resources(
        (BASE + key, Resource.from_contents(schema, default_specification=DRAFT202012))
        for key, schema in schemas.items()
    )
    return {
        key: jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
        for key, schema in schemas.items()
    }


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Draft202012Validator]:
    return _validators()


def _valid(validator: jsonschema.Draft202012Validator, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def directory(harbor: Tenant, riverbend: Tenant) -> dict[str, Any]:
    with scopes_disabled():
        harbor.site.accessibility = "Step-free entrance on <b>Main Street</b>."
        harbor.site.save()
        program = groups_program(harbor)
        facilitator = harbor.user("peer")
        facilitator.full_name = "Jordan Quillfeather"
        facilitator.save()
        weekly = make_group(
            harbor,
            "Tuesday Circle",
            program=program,
            description="A warm circle.",
            communities=[Community.WOMEN],
            topics=[Topic.GRIEF],
            accessibility=["wheelchair"],
            timezone="America/New_York",
        )
        make_schedule(weekly, "FREQ=WEEKLY;BYDAY=TU", start_date=date(2026, 1, 6), start_time=time(18, 0))
        youth = make_group(
            harbor,
            "Young Voices Online",
            program=program,
            format=GroupFormat.ONLINE,
            site=None,
            audience=Audience.YOUTH,
            age_min=16,
            age_max=24,
            online_url="https://video.example.org/j/123",
            join_details_public=True,
            language="es",
            is_free=False,
            cost_description="$5 a session, pay what you can",
            timezone="America/Chicago",
        )
        make_schedule(youth, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", start_date=date(2026, 7, 2), until=date(2026, 12, 31))
        monthly = make_group(
            harbor,
            "First Monday Registered",
            program=program,
            format=GroupFormat.HYBRID,
            joining=Joining.REGISTRATION,
            online_url="https://video.example.org/j/secret",
            join_details_public=True,
            status=GroupStatus.PAUSED,
        )
        make_schedule(monthly, "FREQ=MONTHLY;BYDAY=1MO")
        make_group(harbor, "Hidden Group", program=program, is_public=False)
        make_group(harbor, "Ended Group", program=program, status=GroupStatus.ENDED)
        private = groups_program(harbor, "Private Program", is_public=False)
        make_group(harbor, "Private Program Group", program=private)
        warmline = account_services.program_create(
            acting_user=harbor.user("admin"),
            organisation=harbor.organisation,
            name="Harbor Warm Line",
            description="Call to talk with a peer.",
            offers_warmline=True,
            serves_adults=True,
            sites=[harbor.site],
        )
        Registration.objects.create(
            organisation=harbor.organisation,
            group=monthly,
            first_name="Zebulon",
            email="zebulon@example.org",
            phone="+15550109999",
            status=RegistrationStatus.REGISTERED,
            source="public",
        )
        Session.objects.create(
            organisation=harbor.organisation,
            group=weekly,
            starts_at=datetime(2026, 3, 3, 23, tzinfo=UTC),
            ends_at=datetime(2026, 3, 4, 0, 30, tzinfo=UTC),
            notes="Confidential: Zebulon shared",
        )
        other = make_group(riverbend, "River Group")
        make_schedule(other, "FREQ=WEEKLY;BYDAY=WE")
    return {"weekly": weekly, "youth": youth, "monthly": monthly, "warmline": warmline, "other": other}


def _get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(f"{HSDS}{path}", params)
    assert response.status_code == 200, response.content
    assert not any(secret in response.content.decode() for secret in SECRETS)
    return response.json()


def test_services_list_and_detail_validate_and_are_public_only(
    client: Client, directory: dict[str, Any], harbor: Tenant, validators: Any
) -> None:
    page = _get(client, "/services")
    assert set(page) == PAGE_KEYS
    names = [s["name"] for s in page["contents"]]
    # Public groups (meeting, paused, ended) and public mentorship/warm-line programs; never a hidden one.
    assert names == [
        "Ended Group",
        "First Monday Registered",
        "Harbor Mentors",
        "Harbor Warm Line",
        "River Group",
        "Riverbend Mentors",
        "Tuesday Circle",
        "Young Voices Online",
    ]
    for service in page["contents"]:
        _valid(validators["compiled/service_list.json"], service)
    statuses = {s["name"]: s["status"] for s in page["contents"]}
    assert statuses["First Monday Registered"] == "temporarily closed"
    assert statuses["Ended Group"] == "inactive" and statuses["Tuesday Circle"] == "active"
    for service in page["contents"]:
        full = _get(client, f"/services/{service['id']}")
        _valid(validators["compiled/service_with_definitions.json"], full)
        _valid(validators["service.json"], full)
        for sal in full.get("service_at_locations", []):
            _valid(validators["service_at_location.json"], sal)
            _valid(validators["location.json"], sal["location"])
        for item in full.get("schedules", []):
            _valid(validators["schedule.json"], item)


def test_a_group_service_carries_schedules_ages_cost_languages_and_attributes(
    client: Client, directory: dict[str, Any]
) -> None:
    youth = _get(client, f"/services/{directory['youth'].pk}")
    assert (youth["minimum_age"], youth["maximum_age"]) == (16, 24)
    assert "16 to 24" in youth["eligibility_description"]
    (item,) = youth["schedules"]
    assert (item["freq"], item["interval"], item["byday"]) == ("WEEKLY", 2, "TH")
    assert (item["opens_at"], item["closes_at"], item["dtstart"], item["until"]) == (
        "18:00",
        "19:30",
        "2026-07-02",
        "2026-12-31",
    )
    assert item["timezone"] == -5  # America/Chicago on 2 July 2026 (daylight time); the zone is in the notes
    assert "America/Chicago" in item["notes"]
    assert youth["cost_options"][0]["amount_description"] == "$5 a session, pay what you can"
    assert [lang["code"] for lang in youth["languages"]] == ["es"]
    (sal,) = youth["service_at_locations"]
    assert sal["location"]["location_type"] == "virtual"
    assert sal["location"]["url"] == "https://video.example.org/j/123"
    codes = {a["taxonomy_term"]["code"] for a in youth["attributes"]}
    assert {"peer-run", "model:group", "audience:youth", "format:online", "joining:drop_in"} <= codes

    monthly = _get(client, f"/services/{directory['monthly'].pk}")
    (item,) = monthly["schedules"]
    assert (item["freq"], item["interval"], item["byday"]) == ("MONTHLY", 1, "1MO")
    locations = {sal["location"]["location_type"]: sal["location"] for sal in monthly["service_at_locations"]}
    assert set(locations) == {"physical", "virtual"}
    # Needs registration: the join link stays private; the virtual location points at the public page.
    assert "secret" not in locations["virtual"]["url"]
    physical = locations["physical"]
    assert physical["addresses"][0]["address_1"] == "1 Main Street"
    assert physical["accessibility"][0]["description"] == "Step-free entrance on Main Street ."
    assert "cost_options" not in monthly and "minimum_age" not in monthly

    weekly = _get(client, f"/services/{directory['weekly'].pk}")
    codes = {a["taxonomy_term"]["code"] for a in weekly["attributes"]}
    assert {"community:women", "topic:grief", "accessibility:wheelchair", "format:in_person"} <= codes
    assert weekly["schedules"][0]["timezone"] == -5 and weekly["schedules"][0]["opens_at"] == "18:00"

    warmline = _get(client, f"/services/{directory['warmline'].pk}")
    assert {a["taxonomy_term"]["code"] for a in warmline["attributes"]} >= {"model:warmline", "peer-run"}


def test_hidden_and_unknown_services_are_404_and_bad_ids_400(client: Client, directory: dict[str, Any]) -> None:
    with scopes_disabled():
        from alongside.groups.models import Group

        hidden = Group.objects.get(name="Hidden Group")
    for path in (f"/services/{hidden.pk}", f"/services/{uuid.uuid4()}", f"/organizations/{uuid.uuid4()}",
                 f"/locations/{uuid.uuid4()}"):  # fmt: skip
        response = client.get(HSDS + path)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}, path
    for path in ("/services/nope", "/organizations/1", "/locations/%20"):
        response = client.get(HSDS + path)
        assert response.status_code == 400, path
        assert set(response.json()) == {"detail", "errors"}


def test_paging(client: Client, directory: dict[str, Any]) -> None:
    first = _get(client, "/services", per_page=3)
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (8, 3, 1, 3)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = _get(client, "/services", per_page=3, page=3)
    assert (last["size"], last["first_page"], last["last_page"]) == (2, False, True)
    ids = [s["id"] for p in (1, 2, 3) for s in _get(client, "/services", per_page=3, page=p)["contents"]]
    assert len(ids) == len(set(ids)) == 8
    beyond = _get(client, "/services", per_page=3, page=9)
    assert beyond["empty"] and beyond["contents"] == [] and beyond["size"] == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/services", {"page": "0"}, "page"),
        ("/services", {"page": "-1"}, "page"),
        ("/services", {"page": "two"}, "page"),
        ("/services", {"per_page": "0"}, "per_page"),
        ("/services", {"per_page": "1000"}, "per_page"),
        ("/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/services", {"modified_after": "0.5"}, "modified_after"),
        ("/services", {"modified_after": "2026-13-45"}, "modified_after"),
        ("/services", {"organization_id": "harbor"}, "organization_id"),
        ("/services", {"search": "a\x00b"}, "search"),
        ("/services", {"search": "x" * 201}, "search"),
        ("/organizations", {"per_page": "101"}, "per_page"),
        ("/locations", {"page": "1.5"}, "page"),
    ],
)
def test_bad_paging_and_filters_are_400(
    client: Client, directory: dict[str, Any], path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(HSDS + path, params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields need attention." and field in body["errors"]


def test_filters(client: Client, directory: dict[str, Any], harbor: Tenant, riverbend: Tenant) -> None:
    assert [s["name"] for s in _get(client, "/services", search="CIRCLE")["contents"]] == ["Tuesday Circle"]
    assert [s["name"] for s in _get(client, "/services", search="talk with a peer")["contents"]] == ["Harbor Warm Line"]
    river = _get(client, "/services", organization_id=str(riverbend.organisation.pk))["contents"]
    assert {s["name"] for s in river} == {"River Group", "Riverbend Mentors"}
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert _get(client, "/services", modified_after=later.isoformat())["empty"]
    with time_machine.travel(later, tick=False), scopes_disabled():
        directory["weekly"].description = "Changed."
        directory["weekly"].save()
    changed = _get(client, "/services", modified_after="2029-12-31T00:00:00")["contents"]
    assert [s["name"] for s in changed] == ["Tuesday Circle"]


def test_organizations_and_locations(
    client: Client, directory: dict[str, Any], harbor: Tenant, riverbend: Tenant, validators: Any
) -> None:
    orgs = _get(client, "/organizations")
    assert [o["name"] for o in orgs["contents"]] == ["Harbor Peers", "Riverbend Peers"]
    for org in orgs["contents"]:
        _valid(validators["compiled/organization_list.json"], org)
        _valid(validators["organization.json"], _get(client, f"/organizations/{org['id']}"))
    assert [o["name"] for o in _get(client, "/organizations", search="river")["contents"]] == ["Riverbend Peers"]
    locations = _get(client, "/locations", per_page=100)
    for location in locations["contents"]:
        _valid(validators["location.json"], location)
    by_type = sorted((loc["location_type"], loc["name"]) for loc in locations["contents"])
    assert by_type == [
        ("physical", "Harbor Center"),
        ("physical", "Riverbend Center"),
        ("virtual", "First Monday Registered (online)"),
        ("virtual", "Young Voices Online (online)"),
    ]
    one = _get(client, f"/locations/{harbor.site.pk}")
    assert one["latitude"] == pytest.approx(39.7817) and one["addresses"][0]["postal_code"] == "62701"


def test_service_at_locations_by_postcode_and_proximity(
    client: Client, directory: dict[str, Any], validators: Any
) -> None:
    every = _get(client, "/service_at_locations", per_page=100)
    assert every["total_items"] == 9
    for pair in every["contents"]:
        _valid(validators["compiled/service_at_location_list.json"], pair)
        assert pair["service_id"] == pair["service"]["id"] and pair["location_id"] == pair["location"]["id"]
    here = _get(client, "/service_at_locations", postcode="62701", per_page=100)
    assert here["total_items"] == 7
    assert {p["location"]["location_type"] for p in here["contents"]} == {"physical"}
    near = _get(client, "/service_at_locations", postcode="62701", proximity="25000", per_page=100)
    assert near["total_items"] == 7
    assert _get(client, "/service_at_locations", postcode="04101", proximity="50000")["empty"]
    assert _get(client, "/service_at_locations", postcode="04101")["empty"]
    circle = _get(client, "/service_at_locations", search="circle")["contents"]
    assert [p["service"]["name"] for p in circle] == ["Tuesday Circle"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"proximity": "1000"}, "proximity"),
        ({"postcode": "62701", "proximity": "0"}, "proximity"),
        ({"postcode": "62701", "proximity": "far"}, "proximity"),
        ({"postcode": "abc"}, "postcode"),
        ({"postcode": "00000", "proximity": "1000"}, "postcode"),
    ],
)
def test_bad_postcode_and_proximity_are_400(
    client: Client, directory: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = client.get(f"{HSDS}/service_at_locations", params)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_hsds_is_public_and_read_only(client: Client, directory: dict[str, Any]) -> None:
    assert client.get(f"{HSDS}/services").status_code == 200  # no token
    assert client.get(f"{HSDS}/services", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200
    assert client.post(f"{HSDS}/services", {}, content_type="application/json").status_code == 405
    assert client.get("/api/v1/me").status_code == 401  # the rest of the API still needs a token


def test_export_package(tmp_path: Path, directory: dict[str, Any], validators: Any) -> None:
    out = StringIO()
    call_command("directory", "export-hsds", str(tmp_path / "hsds"), stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["service"] == 8 and counts["organization"] == 2 and counts["location"] == 4
    index = json.loads((tmp_path / "hsds" / "datapackage.json").read_text())
    assert index["hsds_version"] == "3.0"
    files = {r["name"]: r["path"] for r in index["resources"]}
    assert files["service"] == "services.json"
    table_schema = {
        "organization": "organization.json",
        "service": "compiled/service_with_definitions.json",
        "location": "location.json",
        "service_at_location": "service_at_location.json",
        "schedule": "schedule.json",
        "taxonomy": "taxonomy.json",
        "taxonomy_term": "taxonomy_term.json",
    }
    text = ""
    for name, path in files.items():
        content = (tmp_path / "hsds" / path).read_text()
        text += content
        rows = json.loads(content)
        assert len(rows) == counts[name]
        for row in rows:
            _valid(validators[table_schema[name]], row)
    assert not any(secret in text for secret in SECRETS)
    schedule_ids = {s["id"] for s in json.loads((tmp_path / "hsds" / "schedules.json").read_text())}
    assert len(schedule_ids) == counts["schedule"] == 4
    # The same data gives the same files (stable ids and order), apart from the index's date.
    call_command("directory", "export-hsds", str(tmp_path / "again"), stdout=StringIO())
    for path in files.values():
        assert (tmp_path / "hsds" / path).read_text() == (tmp_path / "again" / path).read_text()


def test_export_refuses_a_file_as_directory(tmp_path: Path, directory: dict[str, Any]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a directory"):
        call_command("directory", "export-hsds", str(target), stdout=StringIO())
