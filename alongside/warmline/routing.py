"""WebSocket routes of the warm line (joined into alongside/asgi.py)."""

from __future__ import annotations

from django.urls import path

from alongside.warmline import consumers

websocket_urlpatterns = [
    path("ws/chat/<uuid:conversation_id>/", consumers.VisitorChatConsumer.as_asgi()),
    path("ws/warmline/<slug:org_slug>/chat/<uuid:conversation_id>/", consumers.PeerChatConsumer.as_asgi()),
    path("ws/warmline/<slug:org_slug>/queue/", consumers.QueueConsumer.as_asgi()),
    path("ws/warmline/<slug:org_slug>/board/", consumers.BoardConsumer.as_asgi()),
]
