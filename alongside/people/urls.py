from __future__ import annotations

from django.urls import path

from alongside.people.views import participants, public, records

app_name = "people"

org = "app/<slug:org_slug>/"
person = org + "people/<str:participant_id>/"

urlpatterns = [
    # participants.py
    path(org + "intake/", participants.intake_queue, name="intake_queue"),
    path(org + "people/", participants.participant_list, name="participant_list"),
    path(org + "people/new/", participants.participant_create, name="participant_create"),
    path(org + "caseload/", participants.caseload, name="caseload"),
    path(person, participants.participant_detail, name="participant_detail"),
    path(person + "edit/", participants.participant_edit, name="participant_edit"),
    path(person + "status/", participants.participant_status, name="participant_status"),
    path(person + "peer/", participants.participant_assign_peer, name="participant_assign_peer"),
    path(person + "programs/", participants.participant_enrol, name="participant_enrol"),
    path(person + "merge/", participants.participant_merge, name="participant_merge"),
    path(person + "export/", participants.participant_export, name="participant_export"),
    # records.py
    path(person + "consent/", records.consent_create, name="consent_create"),
    path(person + "consent/<str:consent_id>/withdraw/", records.consent_withdraw, name="consent_withdraw"),
    path(person + "contacts/new/", records.contact_create, name="contact_create"),
    path(person + "family/", records.family_link_create, name="family_link_create"),
    path(person + "guardians/", records.guardian_create, name="guardian_create"),
    path(person + "experiences/", records.experiences_edit, name="experiences_edit"),
    path(org + "my-profile/", records.peer_profile_edit, name="peer_profile_edit"),
    # public.py
    path("o/<slug:org_slug>/reach-out/", public.self_referral, name="self_referral"),
    path("o/<slug:org_slug>/reach-out/thanks/", public.self_referral_thanks, name="self_referral_thanks"),
]
