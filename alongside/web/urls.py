from __future__ import annotations

from django.urls import path

from alongside.web import views

app_name = "web"

org = "app/<slug:org_slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org_slug>/", views.org_public_home, name="org_public_home"),
    path("language/", views.set_language, name="set_language"),
    path("app/", views.app_home, name="app_home"),
    path(org, views.staff_home, name="staff_home"),
    path(org + "programs/", views.program_list, name="program_list"),
    path(org + "programs/new/", views.program_edit, name="program_create"),
    path(org + "programs/<str:program_id>/", views.program_detail, name="program_detail"),
    path(org + "programs/<str:program_id>/edit/", views.program_edit, name="program_edit"),
    path(org + "sites/", views.site_list, name="site_list"),
    path(org + "sites/new/", views.site_edit, name="site_create"),
    path(org + "sites/<str:site_id>/edit/", views.site_edit, name="site_edit"),
    path(org + "staff/", views.staff_list, name="staff_list"),
    path(org + "staff/invite/", views.staff_invite, name="staff_invite"),
    path(org + "staff/invitations/<str:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path(org + "staff/<str:user_id>/", views.staff_detail, name="staff_detail"),
    path(org + "staff/<str:user_id>/supervisors/", views.supervision_add, name="supervision_add"),
    path(org + "settings/", views.org_settings, name="org_settings"),
    path(org + "access-log/", views.audit_log, name="audit_log"),
    path("network/<slug:network_slug>/", views.network_home, name="network_home"),
]
