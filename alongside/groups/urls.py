"""Group routes. Each part of the app adds its own block below (keep them apart)."""

from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401

app_name = "groups"

org = "app/<slug:org_slug>/"
groups = org + "groups/"
public = "directory/groups/<slug:org_slug>/<slug:group_slug>/"

urlpatterns: list[URLPattern] = []

# --- Staff: groups, schedules, sessions, agreements, calendar feeds (views/staff.py) -------------
from alongside.groups.views import staff as staff_views  # noqa: E402

group = groups + "<uuid:group_id>/"
urlpatterns += [
    path(groups, staff_views.group_list, name="group_list"),
    path(groups + "new/", staff_views.group_create, name="group_create"),
    path(groups + "calendar/", staff_views.calendar_subscribe, name="calendar_subscribe"),
    path(group, staff_views.group_detail, name="group_detail"),
    path(group + "edit/", staff_views.group_edit, name="group_edit"),
    path(group + "status/", staff_views.group_status, name="group_status"),
    path(group + "agreement/", staff_views.agreement_publish, name="agreement_publish"),
    path(group + "schedules/new/", staff_views.schedule_add, name="schedule_add"),
    path(group + "schedules/<uuid:schedule_id>/edit/", staff_views.schedule_edit, name="schedule_edit"),
    path(group + "schedules/<uuid:schedule_id>/end/", staff_views.schedule_end, name="schedule_end"),
    path(group + "sessions/new/", staff_views.session_add, name="session_add"),
    path(group + "sessions/<str:key>/cancel/", staff_views.session_cancel, name="session_cancel"),
    path(group + "sessions/<str:key>/move/", staff_views.session_move, name="session_move"),
    path(group + "sessions/<str:key>/reinstate/", staff_views.session_reinstate, name="session_reinstate"),
    path(public + "calendar.ics", staff_views.public_calendar, name="public_calendar"),
    path("calendars/groups/<str:token>.ics", staff_views.facilitator_calendar, name="facilitator_calendar"),
]

# --- Registration, the public group page, the roster, feedback, letters (views/public.py,
# views/registrations.py, views/roster.py) -----------------------------------------------------
from alongside.groups.views import public as public_views  # noqa: E402
from alongside.groups.views import registrations as registration_views  # noqa: E402
from alongside.groups.views import roster as roster_views  # noqa: E402

urlpatterns += [
    path(public, public_views.public_group, name="public_group"),
    path(public + "registration/<str:token>/", public_views.registration_own, name="registration_own"),
    path("directory/feedback/<str:token>/", public_views.feedback, name="feedback"),
    path(groups + "<uuid:group_id>/registrations/", registration_views.registration_list, name="registration_list"),
    path(
        groups + "<uuid:group_id>/registrations/<uuid:registration_id>/",
        registration_views.registration_detail,
        name="registration_detail",
    ),
    path(
        groups + "<uuid:group_id>/registrations/<uuid:registration_id>/cancel/",
        registration_views.registration_cancel,
        name="registration_cancel",
    ),
    path(
        groups + "<uuid:group_id>/registrations/<uuid:registration_id>/letter/",
        registration_views.registration_letter,
        name="registration_letter",
    ),
    path(groups + "<uuid:group_id>/sessions/<str:key>/roster/", roster_views.roster, name="roster"),
    path(
        groups + "<uuid:group_id>/sessions/<str:key>/roster/safety/", roster_views.roster_safety, name="roster_safety"
    ),
    path(groups + "<uuid:group_id>/feedback/", roster_views.feedback_summary, name="feedback_summary"),
    path(groups + "<uuid:group_id>/counts/", roster_views.group_counts, name="group_counts"),
]
