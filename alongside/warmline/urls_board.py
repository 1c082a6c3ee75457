"""Warm-line routes: the supervisor board (app/<org>/warmline/board/...). Its socket:
``ws/warmline/<org>/board/`` in alongside/warmline/routing.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from alongside.warmline.views import board as views

base = "app/<slug:org_slug>/warmline/board/"
one = base + "chats/<uuid:conversation_id>/"

urlpatterns: list[URLPattern] = [
    path(base, views.board, name="board"),
    path(base + "fragment/", views.board_fragment, name="board_fragment"),
    path(one, views.board_conversation, name="board_conversation"),
    path(one + "join/", views.board_join, name="board_join"),
    path(one + "send/", views.board_send, name="board_send"),
]
