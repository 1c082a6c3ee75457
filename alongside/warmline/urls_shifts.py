"""Warm-line routes: shifts. Staff routes live under app/<slug:org_slug>/warmline/."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import shifts as views

base = "app/<slug:org_slug>/warmline/shifts/"
shift = base + "<uuid:shift_id>/"
swap = base + "swaps/<uuid:swap_id>/"

urlpatterns: list[URLPattern] = [
    path(base, views.shift_rota, name="shift_rota"),
    path(base + "mine/", views.my_shifts, name="my_shifts"),
    path(base + "status/", views.status_set, name="shift_status"),
    path(base + "new/", views.shift_create, name="shift_create"),
    path(base + "patterns/", views.pattern_list, name="pattern_list"),
    path(base + "patterns/new/", views.pattern_create, name="pattern_create"),
    path(base + "patterns/<uuid:pattern_id>/end/", views.pattern_end, name="pattern_end"),
    path(base + "swaps/", views.swap_list, name="swap_list"),
    path(swap + "accept/", views.swap_accept, name="swap_accept"),
    path(swap + "decline/", views.swap_decline, name="swap_decline"),
    path(swap + "withdraw/", views.swap_withdraw, name="swap_withdraw"),
    path(swap + "approve/", views.swap_approve, name="swap_approve"),
    path(swap + "refuse/", views.swap_refuse, name="swap_refuse"),
    path(base + "assignments/<uuid:assignment_id>/swap/", views.swap_offer, name="swap_offer"),
    path(shift, views.shift_detail, name="shift_detail"),
    path(shift + "signup/", views.shift_signup, name="shift_signup"),
    path(shift + "assign/", views.shift_assign, name="shift_assign"),
    path(shift + "unassign/", views.shift_unassign, name="shift_unassign"),
    path(shift + "supervisor/", views.shift_supervisor, name="shift_supervisor"),
    path(shift + "cancel/", views.shift_cancel, name="shift_cancel"),
    path("calendars/warmline/shifts/<str:token>.ics", views.shift_calendar, name="shift_calendar"),
]
