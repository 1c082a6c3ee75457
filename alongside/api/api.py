"""``/api/v1/``: one OpenAPI document, bearer tokens, the same access functions as the pages."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from alongside.accounts import access, selectors, services
from alongside.accounts.models import Program, User
from alongside.api.schemas import ErrorOut, PageParams, no_nul
from alongside.core.policy import api_endpoint, public


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = services.api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class AlongsideAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        """The document, declaring once for every router the two errors the handlers below give anywhere:
        400 when the path, query or body fails validation, 401 without a valid bearer token."""
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for item in schema["paths"].values():
            for operation in item.values():
                if operation.get("parameters") or "requestBody" in operation:
                    operation["responses"].setdefault("400", {"description": "Bad Request", "content": error})
                if operation.get("security"):
                    operation["responses"].setdefault("401", {"description": "Unauthorized", "content": error})
        return schema


api = AlongsideAPI(
    title="Alongside API",
    version="1",
    description=(
        "The Alongside API. Authenticate with a personal token: `Authorization: Bearer als_…` "
        "(make one on your account page or with `alongside token create --email EMAIL`)."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# --- Errors: JSON with field-level messages ----------------------------------------------------


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(list(error.get("loc", []))), []).append(str(error.get("msg", "Invalid value.")))
    return api.create_response(request, {"detail": "Some fields need attention.", "errors": errors}, status=400)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "Some fields need attention.", "errors": errors}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "You do not have permission to do this."}, status=403)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # Mostly Django Ninja's "Cannot parse request body": give it the same shape as every other 400.
        parse_error = str(exc).startswith("Cannot parse request body")
        message = "The request body must be a JSON object." if parse_error else str(exc)
        return api.create_response(request, {"detail": message, "errors": {"__all__": [message]}}, status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "A valid API token is required."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


# --- Schemas ---------------------------------------------------------------------------------


class OrganisationRef(Schema):
    id: UUID
    slug: str
    name: str


class MembershipOut(Schema):
    organisation: OrganisationRef
    roles: list[str]


class MeOut(Schema):
    id: UUID
    email: str
    full_name: str
    preferred_name: str
    language: str
    memberships: list[MembershipOut]
    networks: list[str]


class ProgramOut(Schema):
    id: UUID
    name: str
    description: str
    models: list[str]
    audiences: list[str]
    is_public: bool
    is_active: bool
    site_ids: list[UUID]


class ProgramIn(Schema):
    # Unknown fields are refused, not ignored: a misspelt "is_public" must not publish a program.
    model_config = ConfigDict(extra="forbid")

    # Stripped first, so "   " is empty and " Harbor Mentors " is caught by the duplicate check.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(no_nul)]
    description: Annotated[str, AfterValidator(no_nul)] = Field(default="", max_length=4000)
    models: list[str] = Field(min_length=1, description="Any of: mentorship, groups, warmline")
    audiences: list[str] = Field(min_length=1, description="Any of: adults, youth, families")
    is_public: bool = True
    site_ids: list[UUID] = Field(default_factory=list)


class ProgramPage(Schema):
    count: int
    items: list[ProgramOut]


MODELS = {"mentorship": "offers_mentorship", "groups": "offers_groups", "warmline": "offers_warmline"}
AUDIENCES = {"adults": "serves_adults", "youth": "serves_youth", "families": "serves_families"}


def program_out(program: Program) -> dict[str, Any]:
    return {
        "id": program.pk,
        "name": program.name,
        "description": program.description,
        "models": [name for name, field in MODELS.items() if getattr(program, field)],
        "audiences": [name for name, field in AUDIENCES.items() if getattr(program, field)],
        "is_public": program.is_public,
        "is_active": program.is_active,
        "site_ids": [site.pk for site in program.sites.all()],
    }


# --- Endpoints -------------------------------------------------------------------------------


@api.get("/me", response=MeOut, summary="The caller and their memberships", tags=["accounts"])
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "preferred_name": user.preferred_name,
        "language": user.language,
        "memberships": [
            {"organisation": {"id": org.pk, "slug": org.slug, "name": org.name}, "roles": sorted(roles)}
            for org, roles in selectors.organisations_for_user(user)
        ],
        "networks": [n.slug for n in selectors.networks_for_user(user)],
    }


@api.get(
    "/organisations/{org_slug}/programs",
    response={200: ProgramPage, 404: ErrorOut, 403: ErrorOut},
    summary="Programs of one organisation",
    tags=["programs"],
)
def program_list(request: HttpRequest, org_slug: str, page: Query[PageParams]) -> Any:
    with access.org_scope(request.user, org_slug, "programs.view") as org:  # type: ignore[arg-type]
        qs = selectors.programs_for(org.organisation, include_inactive=org.can("programs.change"))
        items = list(qs[page.offset : page.offset + page.limit])
        return {"count": qs.count(), "items": [program_out(p) for p in items]}


@api.get(
    "/organisations/{org_slug}/programs/{program_id}",
    response={200: ProgramOut, 404: ErrorOut, 403: ErrorOut},
    summary="One program",
    tags=["programs"],
)
def program_detail(request: HttpRequest, org_slug: str, program_id: UUID) -> Any:
    with access.org_scope(request.user, org_slug, "programs.view") as org:  # type: ignore[arg-type]
        return program_out(access.access_program(org, program_id))


@api.post(
    "/organisations/{org_slug}/programs",
    response={201: ProgramOut, 400: ErrorOut, 404: ErrorOut, 403: ErrorOut},
    summary="Add a program (organisation admins)",
    tags=["programs"],
)
def program_create(request: HttpRequest, org_slug: str, payload: ProgramIn) -> Any:
    with access.org_scope(request.user, org_slug, "programs.change") as org:  # type: ignore[arg-type]
        errors: dict[str, list[str]] = {}
        bad_models = sorted(set(payload.models) - set(MODELS))
        if bad_models:
            errors["models"] = [f"Unknown model(s): {', '.join(bad_models)}. Use mentorship, groups or warmline."]
        bad_audiences = sorted(set(payload.audiences) - set(AUDIENCES))
        if bad_audiences:
            errors["audiences"] = [f"Unknown audience(s): {', '.join(bad_audiences)}. Use adults, youth or families."]
        sites = list(selectors.sites_for(org.organisation).filter(pk__in=payload.site_ids))
        if len(sites) != len(set(payload.site_ids)):
            errors["site_ids"] = ["One or more sites do not exist in this organisation."]
        if selectors.programs_for(org.organisation, include_inactive=True).filter(name__iexact=payload.name).exists():
            errors["name"] = ["Another program here already has this name."]
        if errors:
            raise DjangoValidationError(errors)
        program = services.program_create(
            acting_user=org.user,
            organisation=org.organisation,
            sites=sites,
            name=payload.name,
            description=payload.description,
            is_public=payload.is_public,
            **{field: name in payload.models for name, field in MODELS.items()},
            **{field: name in payload.audiences for name, field in AUDIENCES.items()},
        )
        return 201, program_out(program)


# Each capability's endpoints live in its own app and join the one API here.
from alongside.directory.hsds_api import PUBLIC_ROUTE_PREFIX as HSDS_PREFIX  # noqa: E402
from alongside.directory.hsds_api import router as hsds_router  # noqa: E402
from alongside.matching.api import router as matching_router  # noqa: E402
from alongside.people.api import router as people_router  # noqa: E402
from alongside.people.api_referrals import router as referrals_router  # noqa: E402

api.add_router("/", people_router)
api.add_router("/", referrals_router)
api.add_router("/", matching_router)
api.add_router("/", hsds_router)  # public, read-only (no token): the directory as HSDS 3.0


def api_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns, each declaring its access policy for the resolver walk."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            # "api-root" is Django Ninja's prefix marker: it only ever answers 404.
            if pattern.name in {"openapi-json", "openapi-view", "api-root"}:
                public(pattern.callback)
            elif str(pattern.pattern).startswith(HSDS_PREFIX):
                public(pattern.callback)  # the public directory's HSDS routes: GET only, no token
            else:
                api_endpoint(pattern.callback)
    return patterns, app_name, namespace
