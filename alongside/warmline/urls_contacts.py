"""Warm-line routes: contacts. Staff routes live under app/<slug:org_slug>/warmline/."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import contacts as views

base = "app/<slug:org_slug>/warmline/contacts/"
one = base + "<uuid:contact_id>/"
plans = base + "plans/"

urlpatterns: list[URLPattern] = [
    path(base, views.contact_list, name="contact_list"),
    path(base + "mine/", views.contacts_mine, name="contacts_mine"),
    path(base + "new/", views.contact_new, name="contact_new"),
    path(one, views.contact_detail, name="contact_detail"),
    path(one + "finish/", views.contact_finish, name="contact_finish"),
    path(one + "safety/", views.contact_safety, name="contact_safety"),
    path(plans, views.plan_list, name="caller_plan_list"),
    path(plans + "new/", views.plan_new, name="caller_plan_new"),
    path(plans + "<uuid:plan_id>/", views.plan_detail, name="caller_plan_detail"),
    path(plans + "<uuid:plan_id>/end/", views.plan_end, name="caller_plan_end"),
]
