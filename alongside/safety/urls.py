from __future__ import annotations

from django.urls import URLPattern, path

from alongside.safety import views

app_name = "safety"

base = "app/<slug:org_slug>/safety/"
one = base + "<str:escalation_id>/"

urlpatterns: list[URLPattern] = [
    path(base, views.escalation_list, name="list"),
    path(base + "new/", views.escalation_raise, name="raise"),
    path(base + "checklist/", views.checklist_edit, name="checklist_edit"),
    path(one, views.escalation_detail, name="escalation"),
    path(one + "step/", views.escalation_step, name="step"),
    path(one + "outcome/", views.escalation_outcome, name="outcome"),
    path(one + "close/", views.escalation_close, name="close"),
    path(one + "follow-ups/<str:followup_id>/done/", views.followup_done, name="followup_done"),
]
