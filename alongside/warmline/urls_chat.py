"""Warm-line routes: chat (public chat page, polling fallback, the peer console).

Public: directory/lines/<org>/<line>/chat/... (the visitor, by the secret in their cookie).
Staff: app/<org>/warmline/chat/... WebSockets: alongside/warmline/routing.py.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import chat as views

public = "directory/lines/<slug:org_slug>/<slug:line_slug>/chat/"
visitor = public + "c/<uuid:conversation_id>/"
staff = "app/<slug:org_slug>/warmline/chat/"
peer = staff + "<uuid:conversation_id>/"

urlpatterns: list[URLPattern] = [
    path(public, views.chat_start, name="chat_start"),
    path(visitor, views.chat_conversation, name="chat_conversation"),
    path(visitor + "send/", views.chat_visitor_send, name="chat_visitor_send"),
    path(visitor + "messages/", views.chat_visitor_messages, name="chat_visitor_messages"),
    path(visitor + "away/", views.chat_step_away, name="chat_step_away"),
    path(visitor + "leave/", views.chat_leave, name="chat_leave"),
    path(visitor + "feedback/", views.chat_feedback, name="chat_feedback"),
    path(public + "resume/<uuid:conversation_id>/<str:secret>/", views.chat_resume, name="chat_resume"),
    path(staff, views.chat_console, name="chat_console"),
    path(peer, views.chat_peer, name="chat_peer"),
    path(peer + "claim/", views.chat_claim, name="chat_claim"),
    path(peer + "send/", views.chat_peer_send, name="chat_peer_send"),
    path(peer + "messages/", views.chat_peer_messages, name="chat_peer_messages"),
    path(peer + "transfer/", views.chat_transfer, name="chat_transfer"),
    path(peer + "close/", views.chat_close, name="chat_close"),
    path(peer + "raise/", views.chat_raise, name="chat_raise"),
]
