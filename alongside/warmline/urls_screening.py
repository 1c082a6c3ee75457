"""Warm-line routes: screening. Staff routes live under app/<slug:org_slug>/warmline/."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import screening as views

screening = "app/<slug:org_slug>/warmline/screening/"

urlpatterns: list[URLPattern] = [
    path(screening, views.rule_list, name="screening_rules"),
    path(screening + "try/", views.try_message, name="screening_try"),
    path(screening + "new/", views.rule_create, name="screening_rule_create"),
    path(screening + "reset/", views.rules_reset, name="screening_reset"),
    path(screening + "<uuid:rule_id>/edit/", views.rule_edit, name="screening_rule_edit"),
    path(screening + "<uuid:rule_id>/deactivate/", views.rule_deactivate, name="screening_rule_deactivate"),
    path(screening + "words/new/", views.word_create, name="screening_word_create"),
    path(screening + "marks/new/", views.mark_create, name="screening_mark_create"),
    path(screening + "examples/new/", views.example_create, name="screening_example_create"),
    path(
        screening + "examples/<uuid:example_id>/deactivate/",
        views.example_deactivate,
        name="screening_example_deactivate",
    ),
    path(screening + "marks/<uuid:mark_id>/resolve/", views.mark_resolve, name="screening_mark_resolve"),
    path(screening + "words/<uuid:word_id>/edit/", views.word_edit, name="screening_word_edit"),
]
