from __future__ import annotations

from django.urls import URLPattern, path

from alongside.workforce import views

app_name = "workforce"

wellbeing = "app/<slug:org_slug>/wellbeing/"

urlpatterns: list[URLPattern] = [
    path(wellbeing, views.wellbeing, name="wellbeing"),
    path(wellbeing + "team/", views.wellbeing_team, name="wellbeing_team"),
    path(wellbeing + "<str:checkin_id>/stop-sharing/", views.checkin_stop_sharing, name="checkin_stop_sharing"),
]
