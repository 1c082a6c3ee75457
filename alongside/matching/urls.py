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
    path(matching + "requests/<str:request_id>/answer/", coordinator.request_answer, name="request_answer"),
    path(matching + "requests/<str:request_id>/withdraw/", coordinator.request_withdraw, name="request_withdraw"),
    path(matching + "weights/", coordinator.weights_edit, name="weights_edit"),
    # peer.py
    path(matching + "requests-for-you/", peer.peer_requests, name="peer_requests"),
    path(matching + "requests-for-you/<str:match_id>/accept/", peer.peer_accept, name="peer_accept"),
    path(matching + "requests-for-you/<str:match_id>/decline/", peer.peer_decline, name="peer_decline"),
]

# person.py and mentorship.py: see helper G

# --- The mentorship (views/mentorship.py) and the person's own pages (views/person.py) -----------
from alongside.matching.views import mentorship, person  # noqa: E402

mentorships = org + "mentorships/<str:match_id>/"
me = "me/mentorship/"

urlpatterns += [
    # mentorship.py: staff, within the record scope
    path(mentorships, mentorship.mentorship_detail, name="mentorship_detail"),
    path(mentorships + "plan/", mentorship.mentorship_plan, name="mentorship_plan"),
    path(mentorships + "sessions/", mentorship.mentorship_session, name="mentorship_session"),
    path(mentorships + "next-session/", mentorship.mentorship_next_session, name="mentorship_next_session"),
    path(
        mentorships + "next-session/cancel/",
        mentorship.mentorship_next_session_cancel,
        name="mentorship_next_session_cancel",
    ),
    path(mentorships + "next-session.ics", mentorship.mentorship_ics, name="mentorship_ics"),
    path(mentorships + "pause/", mentorship.mentorship_pause, name="mentorship_pause"),
    path(mentorships + "resume/", mentorship.mentorship_resume, name="mentorship_resume"),
    path(mentorships + "close/", mentorship.mentorship_close, name="mentorship_close"),
    path(mentorships + "summary.pdf", mentorship.mentorship_summary_pdf, name="mentorship_summary_pdf"),
    # person.py: the person's own pages under their private link (the session names them)
    path(me, person.self_mentorship, name="self_mentorship"),
    path(me + "ask/", person.self_request, name="self_request"),
    path(me + "choose/", person.self_choose, name="self_choose"),
    path(me + "more/", person.self_more, name="self_more"),
    path(me + "<str:match_id>/", person.self_match, name="self_match"),
    path(me + "<str:match_id>/plan/", person.self_plan, name="self_plan"),
    path(me + "<str:match_id>/change/", person.self_change, name="self_change"),
    path(me + "<str:match_id>/next-session.ics", person.self_ics, name="self_ics"),
    path(me + "<str:match_id>/summary/", person.self_summary, name="self_summary"),
    path(me + "<str:match_id>/summary.pdf", person.self_summary_pdf, name="self_summary_pdf"),
]
