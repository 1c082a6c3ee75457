from __future__ import annotations

from django.urls import URLPattern, path

from alongside.matching.views import coordinator, peer

app_name = "matching"

org = "app/<slug:org_slug>/"
matching = org + "matching/"

urlpatterns: list[URLPattern] = [
    # coordinator.py
    path(matching, coordinator.waiting_overview, name="waiting_overview"),
    path(matching + "programs/<str:program_id>/", coordinator.waiting_list, name="waiting_list"),
    path(matching + "programs/<str:program_id>/batch/", coordinator.batch_review, name="batch_review"),
    path(org + "people/<str:participant_id>/match-request/", coordinator.request_create, name="request_create"),
    path(matching + "requests/<str:request_id>/", coordinator.request_detail, name="request_detail"),
    path(matching + "requests/<str:request_id>/propose/", coordinator.request_propose, name="request_propose"),
    path(matching + "requests/<str:request_id>/withdraw/", coordinator.request_withdraw, name="request_withdraw"),
    path(matching + "weights/", coordinator.weights_edit, name="weights_edit"),
    # peer.py
    path(matching + "requests-for-you/", peer.peer_requests, name="peer_requests"),
    path(matching + "requests-for-you/<str:match_id>/accept/", peer.peer_accept, name="peer_accept"),
    path(matching + "requests-for-you/<str:match_id>/decline/", peer.peer_decline, name="peer_decline"),
]

# person.py and mentorship.py: see helper G
