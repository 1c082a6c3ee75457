"""``/api/v1/hsds/...``: the public directory as Open Referral HSDS 3.0 (mounted in alongside/api/api.py).

Public and read-only: no token, GET only, public (P1) fields only (see ``directory.hsds``). The
routes under ``hsds/`` are the API's only public operations; ``alongside.api.api.api_urls`` declares
them public for the policy walk, and tests/api/test_openapi.py checks they are GET-only and the rest
still need a bearer token.

Paging as HSDS defines it: ``page`` (from 1) and ``per_page``; the answer is ``{total_items,
total_pages, page_number, size, first_page, last_page, empty, contents}``. Filters where HSDS defines
them: ``search`` (name or description), ``modified_after`` and ``organization_id`` for services;
``search`` for organizations and locations. Bad input is a 400 in the API's error shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field, StringConstraints

from alongside.api.schemas import ErrorOut, no_nul
from alongside.directory import hsds
from alongside.directory.geocode import point_from_zip
from alongside.matching.scoring import haversine_km

PUBLIC_ROUTE_PREFIX = "hsds/"

router = Router(tags=["hsds"], auth=None)

# ISO 8601 dates and times only (pydantic alone would also read "0.5" as a Unix time).
ISO_MOMENT = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"

Search = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(no_nul)]


class HsdsPageParams(Schema):
    page: int = Field(default=1, ge=1, le=2**31 - 1, description="The page number, from 1.")
    per_page: int = Field(default=50, ge=1, le=settings.API_MAX_PAGE_SIZE, description="Items per page.")
    search: Search = Field(default="", description="Words in the name or description.")


class ServiceParams(HsdsPageParams):
    modified_after: str | None = Field(
        default=None,
        pattern=ISO_MOMENT,
        description="Only services changed after this moment: ISO 8601, e.g. 2026-01-31T09:00:00Z "
        "(UTC when no offset is given).",
    )
    organization_id: UUID | None = Field(default=None, description="Only this organization's services.")


class ServiceAtLocationParams(HsdsPageParams):
    postcode: str | None = Field(
        default=None,
        pattern=r"^\d{5}(-\d{4})?$",
        description="A US ZIP code: only physical locations with this postcode, or with ``proximity`` "
        "those within that distance of its centre.",
    )
    proximity: int | None = Field(
        default=None, ge=1, le=500_000, description="Meters from the centre of ``postcode`` (needs ``postcode``)."
    )


class HsdsPage(Schema):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


def _page(items: Sequence[Any], params: HsdsPageParams, build: Any = None) -> dict[str, Any]:
    total = len(items)
    start = (params.page - 1) * params.per_page
    chosen = list(items[start : start + params.per_page]) if start < total else []
    contents = [build(item) for item in chosen] if build else chosen
    total_pages = math.ceil(total / params.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = "Use a real date and time, e.g. 2026-01-31T09:00:00Z."
        raise DjangoValidationError({"modified_after": [message]}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _matches(obj: dict[str, Any], words: str) -> bool:
    text = f"{obj.get('name', '')} {obj.get('description', '')}".lower()
    return words.lower() in text


@router.get(
    "/hsds/services",
    response={200: HsdsPage},
    auth=None,
    summary="Public services (HSDS 3.0): groups, mentorship programs and warm lines",
)
def hsds_services(request: HttpRequest, params: Query[ServiceParams]) -> Any:
    modified_after = _moment(params.modified_after)
    sources = hsds.load_sources(
        search=params.search, modified_after=modified_after, organization_id=params.organization_id
    )
    return _page(hsds.service_rows(sources), params, lambda row: hsds.service_for(row[2], full=False))


@router.get(
    "/hsds/services/{service_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    auth=None,
    summary="One public service, fully nested (HSDS 3.0)",
)
def hsds_service(request: HttpRequest, service_id: UUID) -> Any:
    row = hsds.find_service(service_id)
    if row is None:
        raise Http404
    return hsds.service_for(row, full=True)


@router.get("/hsds/organizations", response={200: HsdsPage}, auth=None, summary="Organizations (HSDS 3.0)")
def hsds_organizations(request: HttpRequest, params: Query[HsdsPageParams]) -> Any:
    found = hsds.organizations(hsds.load_sources())
    if params.search:
        found = [o for o in found if _matches(o, params.search)]
    return _page(found, params)


@router.get(
    "/hsds/organizations/{organization_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    auth=None,
    summary="One organization (HSDS 3.0)",
)
def hsds_organization(request: HttpRequest, organization_id: UUID) -> Any:
    found = hsds.organizations(hsds.load_sources(organization_id=organization_id))
    if not found:
        raise Http404
    return found[0]


@router.get("/hsds/locations", response={200: HsdsPage}, auth=None, summary="Public locations (HSDS 3.0)")
def hsds_locations(request: HttpRequest, params: Query[HsdsPageParams]) -> Any:
    found = hsds.locations(hsds.load_sources())
    if params.search:
        found = [loc for loc in found if _matches(loc, params.search)]
    return _page(found, params)


@router.get(
    "/hsds/locations/{location_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    auth=None,
    summary="One public location (HSDS 3.0)",
)
def hsds_location(request: HttpRequest, location_id: UUID) -> Any:
    for location in hsds.locations(hsds.load_sources()):
        if location["id"] == str(location_id):
            return location
    raise Http404


@router.get(
    "/hsds/service_at_locations",
    response={200: HsdsPage},
    auth=None,
    summary="Services at their locations (HSDS 3.0), by postcode and proximity",
)
def hsds_service_at_locations(request: HttpRequest, params: Query[ServiceAtLocationParams]) -> Any:
    if params.proximity is not None and params.postcode is None:
        raise DjangoValidationError({"proximity": ["Give a postcode to measure the distance from."]})
    found = hsds.service_location_pairs(hsds.load_sources())
    if params.search:
        found = [pair for pair in found if _matches(pair["service"], params.search)]
    if params.postcode is not None:
        code = params.postcode[:5]
        if params.proximity is None:
            found = [pair for pair in found if _postcode(pair["location"]) == code]
        else:
            centre = point_from_zip(code)
            if centre is None:
                raise DjangoValidationError({"postcode": ["We could not find this ZIP code."]})
            near = []
            for pair in found:
                location = pair["location"]
                if "latitude" not in location or "longitude" not in location:
                    continue  # online: no distance
                km = float(haversine_km(centre[0], centre[1], location["latitude"], location["longitude"]))
                if km * 1000 <= params.proximity:
                    near.append((km, pair))
            found = [pair for _, pair in sorted(near, key=lambda item: item[0])]
    return _page(found, params)


def _postcode(location: dict[str, Any]) -> str:
    addresses = location.get("addresses") or [{}]
    return str(addresses[0].get("postal_code", ""))[:5]
