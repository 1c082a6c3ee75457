"""Warm-line routes: telephony. Provider webhooks (public, signature-checked) under
telephony/twilio/<line id>/; staff pages under app/<slug:org_slug>/warmline/."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import telephony as views

webhook = "telephony/twilio/<uuid:line_id>/"
staff = "app/<slug:org_slug>/warmline/"

urlpatterns: list[URLPattern] = [
    path(webhook + "voice/", views.phone_voice, name="phone_voice"),
    path(webhook + "whisper/", views.phone_whisper, name="phone_whisper"),
    path(webhook + "dial-status/", views.phone_dial_status, name="phone_dial_status"),
    path(webhook + "voicemail-done/", views.phone_voicemail_done, name="phone_voicemail_done"),
    path(staff + "lines/<uuid:line_id>/phone/", views.line_phone, name="line_phone"),
    path(staff + "phone/", views.my_phone, name="my_phone"),
    path(staff + "calls/", views.phone_calls, name="phone_calls"),
]
