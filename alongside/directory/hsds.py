"""Open Referral HSDS 3.0 objects for the public directory (docs/directory.md, "Feeds").

What Alongside publishes, read from the source rows (not the search index) and public (P1) fields
only:

* ``organization``: every active organisation with at least one public service.
* ``service``: one per public group (status active, temporarily closed when paused, inactive when
  it no longer meets) and one per public program that offers one-on-one mentorship or a warm line.
  Groups carry their ``schedule``s (RRULE parts: WEEKLY or MONTHLY, interval, ``byday`` such as
  "TU" or "1MO", wall-clock ``opens_at``/``closes_at``), languages, ``cost_options`` when not free,
  eligibility and ages for youth groups, and ``attribute``s under the Alongside taxonomy
  (audience, community, topic, format, accessibility, joining, peer-run).
* ``location``: the public sites where services happen (physical, with address, coordinates and
  accessibility), and one virtual location per online group (its URL is the join link only when the
  group is drop-in and made it public, else the group's public page).
* ``service_at_location``: a service at each of its locations.

Ids are the rows' own UUIDs; objects with no row of their own (virtual locations, languages,
attributes, addresses...) get a UUID5 derived from what they describe, so every export gives the same
ids. HSDS's ``schedule.timezone`` is a number (a UTC offset): we give the offset on the schedule's
first date, and name the IANA zone in ``notes``; times are local wall-clock times in that zone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language_info

from alongside.accounts.models import Organisation, Program, Site
from alongside.core.tenancy import unscoped
from alongside.directory.feeds import plain_text, public_group_url
from alongside.groups.models import Group, GroupStatus, Schedule
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining, Topic

NAMESPACE = uuid.UUID("5f1d7c1e-3b7a-4b8e-9a51-0a1f2c3d4e5f")
TAXONOMY_NAME = "Alongside"
TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:alongside"))
HSDS_VERSION = "3.0"

SERVICE_STATUS = {GroupStatus.ACTIVE: "active", GroupStatus.PAUSED: "temporarily closed", GroupStatus.ENDED: "inactive"}


def derived_id(*parts: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _drop_empty(obj: dict[str, Any]) -> dict[str, Any]:
    """HSDS fields are not nullable: leave out what we do not have."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != []}


# --- The taxonomy -------------------------------------------------------------------------------


@cache
def _terms() -> dict[str, tuple[str, str]]:
    """code → (name, description) of every Alongside taxonomy term, in English (the export's language)."""
    with translation.override("en"):
        return _english_terms()


def _format_label(code: str) -> str:
    with translation.override("en"):
        return str(GroupFormat(code).label) if code in GroupFormat.values else code


def _english_terms() -> dict[str, tuple[str, str]]:
    terms: dict[str, tuple[str, str]] = {"peer-run": ("Peer-run", "Run by people with lived experience.")}
    for prefix, choices, what in (
        ("audience", Audience, "Who it is for"),
        ("community", Community, "A community it is for"),
        ("topic", Topic, "What it is about"),
        ("format", GroupFormat, "How people take part"),
        ("accessibility", Accessibility, "Accessibility"),
        ("joining", Joining, "How to join"),
    ):
        for choice in choices:
            terms[f"{prefix}:{choice.value}"] = (str(choice.label), f"{what}: {choice.label}.")
    terms["model:group"] = ("Peer support group", "How support is given: a peer support group.")
    terms["model:mentorship"] = ("One-on-one peer support", "How support is given: one-on-one peer support.")
    terms["model:warmline"] = ("Warm line", "How support is given: a warm line (not a crisis line).")
    return terms


def taxonomy() -> dict[str, Any]:
    return {
        "id": TAXONOMY_ID,
        "name": TAXONOMY_NAME,
        "description": "Alongside's terms for peer support services: audience, community, topic, format, "
        "accessibility, joining and model.",
        "version": "1",
    }


def taxonomy_term(code: str) -> dict[str, Any]:
    name, description = _terms()[code]
    return {
        "id": derived_id("term", code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
        "language": "en",
    }


def taxonomy_terms() -> list[dict[str, Any]]:
    return [taxonomy_term(code) for code in sorted(_terms())]


def _attributes(link_id: str, link_entity: str, codes: Iterable[str]) -> list[dict[str, Any]]:
    known = _terms()
    out = []
    for code in sorted(set(codes)):
        if code not in known:
            continue
        term = taxonomy_term(code)
        out.append(
            {
                "id": derived_id("attribute", link_id, code),
                "link_id": link_id,
                "link_type": code.split(":")[0],
                "link_entity": link_entity,
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
                "value": code.split(":")[-1],
            }
        )
    return out


# --- Source rows ------------------------------------------------------------------------------


@dataclass
class Sources:
    """The rows one export or one API page is built from (fetched once, without N+1 queries)."""

    groups: list[Group] = field(default_factory=list)
    programs: list[Program] = field(default_factory=list)


def public_groups() -> QuerySet[Group]:
    return (
        Group.objects.filter(
            is_public=True, organisation__is_active=True, program__is_public=True, program__is_active=True
        )
        .select_related("organisation", "site", "program")
        .prefetch_related(Prefetch("schedules", queryset=Schedule.objects.order_by("created_at", "id")))
    )


def public_programs() -> QuerySet[Program]:
    return (
        Program.objects.filter(is_public=True, organisation__is_active=True)
        .filter(Q(offers_mentorship=True) | Q(offers_warmline=True))
        .select_related("organisation")
        .prefetch_related(Prefetch("sites", queryset=Site.objects.filter(is_public=True, is_active=True)))
    )


def _public_site(site: Site | None) -> Site | None:
    return site if site is not None and site.is_public and site.is_active else None


def group_sites(group: Group) -> list[Site]:
    site = _public_site(group.site)
    if site is not None and group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID):
        return [site]
    return []


def is_virtual(group: Group) -> bool:
    return group.format in (GroupFormat.ONLINE, GroupFormat.HYBRID)


# --- Objects ------------------------------------------------------------------------------------


def organization(org: Organisation) -> dict[str, Any]:
    # ``description`` is required by HSDS, even when empty.
    obj = {"id": str(org.pk), "name": org.name, "description": plain_text(org.description, 4000)}
    if settings.SITE_URL:
        obj["website"] = settings.SITE_URL
    return obj


def _utc_offset_hours(zone_name: str, on: date, at: Any) -> float:
    moment = datetime.combine(on, at).replace(tzinfo=ZoneInfo(zone_name))
    offset = moment.utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def schedule(item: Schedule, group: Group) -> dict[str, Any]:
    parts = dict(p.partition("=")[::2] for p in item.rrule.upper().split(";") if p)
    start = datetime.combine(item.start_date, item.start_time)
    end = start + timedelta(minutes=item.duration_minutes)
    return _drop_empty(
        {
            "id": str(item.pk),
            "service_id": str(group.pk),
            "freq": parts.get("FREQ"),
            "interval": int(parts.get("INTERVAL", "1")),
            "byday": parts.get("BYDAY"),
            "wkst": parts.get("WKST"),
            "dtstart": item.start_date.isoformat(),
            "valid_from": item.start_date.isoformat(),
            "until": item.until.isoformat() if item.until else None,
            "valid_to": item.until.isoformat() if item.until else None,
            "opens_at": f"{start:%H:%M}",
            "closes_at": f"{end:%H:%M}",
            "timezone": _utc_offset_hours(group.timezone, item.start_date, item.start_time),
            "attending_type": _format_label(group.format),
            "notes": f"Times are local time in {group.timezone}.",
        }
    )


def _language(owner: str, code: str, owner_field: str = "service_id") -> dict[str, Any]:
    try:
        name = str(get_language_info(code)["name"])
    except KeyError:
        name = code
    return {"id": derived_id("language", owner, code), owner_field: owner, "code": code, "name": name}


def _address(site: Site) -> dict[str, Any]:
    location_id = str(site.pk)
    return _drop_empty(
        {
            "id": derived_id("address", location_id),
            "location_id": location_id,
            "address_1": site.address_line1,
            "address_2": site.address_line2,
            "city": site.city,
            "state_province": site.region,
            "postal_code": site.postcode,
            "country": site.country,
            "address_type": "physical",
        }
    ) | {"state_province": site.region, "postal_code": site.postcode}


def site_location(site: Site) -> dict[str, Any]:
    location_id = str(site.pk)
    obj: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "organization_id": str(site.organisation_id),
        "name": site.name,
        "addresses": [_address(site)],
    }
    if site.latitude is not None and site.longitude is not None:
        obj["latitude"] = float(site.latitude)
        obj["longitude"] = float(site.longitude)
    if site.accessibility.strip():
        obj["accessibility"] = [
            {
                "id": derived_id("accessibility", location_id),
                "location_id": location_id,
                "description": plain_text(site.accessibility, 2000),
            }
        ]
    return obj


def virtual_location_id(group: Group) -> str:
    return derived_id("virtual-location", group.pk)


def virtual_location(group: Group) -> dict[str, Any]:
    public_link = group.joining == Joining.DROP_IN and group.join_details_public and group.online_url
    return {
        "id": virtual_location_id(group),
        "location_type": "virtual",
        "organization_id": str(group.organisation_id),
        "name": f"{group.name} (online)",
        "url": group.online_url if public_link else public_group_url(group),
        "languages": [_language(virtual_location_id(group), group.language, "location_id")],
    }


def _service_at_location(service_id: str, location: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": derived_id("service-at-location", service_id, location["id"]),
        "service_id": service_id,
        "location_id": location["id"],
        "location": location,
    }


def group_codes(group: Group) -> list[str]:
    codes = [
        "peer-run",
        "model:group",
        f"audience:{group.audience}",
        f"format:{group.format}",
        f"joining:{group.joining}",
    ]
    codes += [f"community:{c}" for c in group.communities]
    codes += [f"topic:{t}" for t in group.topics]
    codes += [f"accessibility:{a}" for a in group.accessibility]
    return codes


def _eligibility(group: Group) -> dict[str, Any]:
    if group.audience != Audience.YOUTH:
        return {}
    low, high = group.age_min, group.age_max
    if low is not None and high is not None:
        text = f"For young people aged {low} to {high}."
    elif low is not None:
        text = f"For young people aged {low} and over."
    elif high is not None:
        text = f"For young people aged up to {high}."
    else:
        text = "For young people."
    return _drop_empty({"eligibility_description": text, "minimum_age": low, "maximum_age": high})


def group_service(group: Group, *, full: bool) -> dict[str, Any]:
    service_id = str(group.pk)
    obj: dict[str, Any] = {
        "id": service_id,
        "organization_id": str(group.organisation_id),
        "name": group.name,
        "description": plain_text(group.description, 2000),
        "url": public_group_url(group),
        "status": SERVICE_STATUS.get(GroupStatus(group.status), "inactive"),
        "last_modified": _iso(group.updated_at),
        **_eligibility(group),
    }
    if not group.is_free and group.cost_description:
        obj["fees_description"] = plain_text(group.cost_description, 200)
    obj = _drop_empty(obj) | {"description": obj["description"]}
    obj["organization"] = organization(group.organisation)
    if not full:
        return obj
    obj["schedules"] = [schedule(s, group) for s in group.schedules.all()]
    obj["languages"] = [_language(service_id, group.language)]
    locations = [site_location(s) for s in group_sites(group)]
    if is_virtual(group) or group.format == GroupFormat.PHONE:
        locations.append(virtual_location(group))
    obj["service_at_locations"] = [_service_at_location(service_id, loc) for loc in locations]
    if not group.is_free:
        obj["cost_options"] = [
            _drop_empty(
                {
                    "id": derived_id("cost", service_id),
                    "service_id": service_id,
                    "currency": "USD",
                    "amount_description": plain_text(group.cost_description, 200) or "There is a cost.",
                }
            )
        ]
    obj["attributes"] = _attributes(service_id, "service", group_codes(group))
    return obj


def program_codes(program: Program) -> list[str]:
    codes = ["peer-run"]
    if program.offers_mentorship:
        codes.append("model:mentorship")
    if program.offers_warmline:
        codes.append("model:warmline")
    for flag, audience in (
        (program.serves_adults, Audience.ADULTS),
        (program.serves_youth, Audience.YOUTH),
        (program.serves_families, Audience.FAMILIES),
    ):
        if flag:
            codes.append(f"audience:{audience}")
    return codes


def program_service(program: Program, *, full: bool) -> dict[str, Any]:
    service_id = str(program.pk)
    obj: dict[str, Any] = _drop_empty(
        {
            "id": service_id,
            "organization_id": str(program.organisation_id),
            "name": program.name,
            "status": "active" if program.is_active else "inactive",
            "last_modified": _iso(program.updated_at),
        }
    ) | {"description": plain_text(program.description, 4000)}
    obj["organization"] = organization(program.organisation)
    if not full:
        return obj
    obj["languages"] = [_language(service_id, code) for code in program.organisation.languages or ["en"]]
    obj["service_at_locations"] = [_service_at_location(service_id, site_location(s)) for s in program.sites.all()]
    obj["attributes"] = _attributes(service_id, "service", program_codes(program))
    return obj


# --- Whole tables -----------------------------------------------------------------------------


def load_sources(
    *,
    search: str = "",
    modified_after: datetime | None = None,
    organization_id: uuid.UUID | None = None,
) -> Sources:
    """Every public service's source row, filtered as HSDS's ``GET /services`` asks, in a stable order."""
    with unscoped("the HSDS export is public and spans organisations; it reads public fields only"):
        groups = public_groups()
        programs = public_programs()
        if search:
            groups = groups.filter(Q(name__icontains=search) | Q(description__icontains=search))
            programs = programs.filter(Q(name__icontains=search) | Q(description__icontains=search))
        if modified_after is not None:
            groups = groups.filter(updated_at__gt=modified_after)
            programs = programs.filter(updated_at__gt=modified_after)
        if organization_id is not None:
            groups = groups.filter(organisation_id=organization_id)
            programs = programs.filter(organisation_id=organization_id)
        return Sources(list(groups.order_by("name", "id")), list(programs.order_by("name", "id")))


def find_service(service_id: uuid.UUID) -> Group | Program | None:
    """The public group or program with this id (None when there is none, or it is not public)."""
    with unscoped("the HSDS API is public and spans organisations; it reads public fields only"):
        group = public_groups().filter(pk=service_id).first()
        return group if group is not None else public_programs().filter(pk=service_id).first()


def services(sources: Sources, *, full: bool) -> list[dict[str, Any]]:
    out = [group_service(g, full=full) for g in sources.groups]
    out += [program_service(p, full=full) for p in sources.programs]
    out.sort(key=lambda s: (s["name"].lower(), s["id"]))
    return out


def service_rows(sources: Sources) -> list[tuple[str, str, Any]]:
    """(sort name, id, row) of every service, in the order the API pages through them."""
    rows: list[tuple[str, str, Any]] = [(g.name.lower(), str(g.pk), g) for g in sources.groups]
    rows += [(p.name.lower(), str(p.pk), p) for p in sources.programs]
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def service_for(row: Any, *, full: bool) -> dict[str, Any]:
    return group_service(row, full=full) if isinstance(row, Group) else program_service(row, full=full)


def organizations(sources: Sources) -> list[dict[str, Any]]:
    orgs: dict[Any, Organisation] = {}
    for org in [*(g.organisation for g in sources.groups), *(p.organisation for p in sources.programs)]:
        orgs.setdefault(org.pk, org)
    return sorted((organization(o) for o in orgs.values()), key=lambda o: (o["name"].lower(), o["id"]))


def locations(sources: Sources) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for group in sources.groups:
        for site in group_sites(group):
            found.setdefault(str(site.pk), site_location(site))
        if is_virtual(group) or group.format == GroupFormat.PHONE:
            location = virtual_location(group)
            found[location["id"]] = location
    for program in sources.programs:
        for site in program.sites.all():
            found.setdefault(str(site.pk), site_location(site))
    return sorted(found.values(), key=lambda loc: (loc.get("name", "").lower(), loc["id"]))


def service_location_pairs(sources: Sources) -> list[dict[str, Any]]:
    """Every service at each of its locations, with the location and the service (one-to-one fields)
    nested, as HSDS's ``GET /service_at_locations`` gives them; by service name."""
    pairs: list[dict[str, Any]] = []
    for row in service_rows(sources):
        source = row[2]
        service = service_for(source, full=False)
        if isinstance(source, Group):
            places = [site_location(site) for site in group_sites(source)]
            if is_virtual(source) or source.format == GroupFormat.PHONE:
                places.append(virtual_location(source))
        else:
            places = [site_location(site) for site in source.sites.all()]
        for place in places:
            pairs.append(_service_at_location(service["id"], place) | {"service": service})
    return pairs


def services_at_locations(full_services: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in sal.items() if k != "location"}
        for service in full_services
        for sal in service.get("service_at_locations", [])
    ]


def schedules(full_services: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for service in full_services for s in service.get("schedules", [])]


# --- The package: ``alongside directory export-hsds OUT_DIR`` ---------------------------------


def export_package(out_dir: Path) -> dict[str, int]:
    """Write the whole public directory as HSDS 3.0 JSON: one file per table (``services.json``
    holds fully nested services) and ``datapackage.json`` listing them. Returns the row counts."""
    sources = load_sources()
    full = services(sources, full=True)
    tables: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "organization": ("organizations.json", organizations(sources)),
        "service": ("services.json", full),
        "location": ("locations.json", locations(sources)),
        "service_at_location": ("service_at_locations.json", services_at_locations(full)),
        "schedule": ("schedules.json", schedules(full)),
        "taxonomy": ("taxonomies.json", [taxonomy()]),
        "taxonomy_term": ("taxonomy_terms.json", taxonomy_terms()),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    resources: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for name, (filename, rows) in tables.items():
        counts[name] = len(rows)
        (out_dir / filename).write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        resources.append(
            {"name": name, "path": filename, "format": "json", "mediatype": "application/json", "count": len(rows)}
        )
    index = {
        "name": "alongside-directory",
        "title": "Alongside public directory",
        "profile": "data-package",
        "hsds_version": HSDS_VERSION,
        "created": _iso(timezone.now()),
        "resources": resources,
    }
    (out_dir / "datapackage.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return counts
