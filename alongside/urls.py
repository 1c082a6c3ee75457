from __future__ import annotations

from django.urls import include, path

from alongside.api.api import api_urls
from alongside.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("accounts/", include("alongside.accounts.urls")),
    path("api/v1/", api_urls()),
    path("", include("alongside.people.urls")),
    path("", include("alongside.matching.urls")),
    path("", include("alongside.workforce.urls")),
    path("", include("alongside.groups.urls")),
    path("", include("alongside.directory.urls")),
    path("", include("alongside.safety.urls")),
    path("", include("alongside.warmline.urls")),
    path("", include("alongside.web.urls")),
]

handler404 = "alongside.web.errors.not_found"
handler403 = "alongside.web.errors.forbidden"
handler500 = "alongside.web.errors.server_error"
