from __future__ import annotations

from django.urls import path

from alongside.people.views import documents, participants, public, records, referrals, rights

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
    # documents.py
    path(
        person + "consent/<str:consent_id>/documents/",
        documents.consent_document_upload,
        name="consent_document_upload",
    ),
    path(
        person + "consent-documents/<str:document_id>/",
        documents.consent_document_download,
        name="consent_document_download",
    ),
    path(
        person + "consent-documents/<str:document_id>/delete/",
        documents.consent_document_delete,
        name="consent_document_delete",
    ),
    # rights.py
    path(person + "erase/", rights.participant_erase, name="participant_erase"),
    path(person + "access-link/", rights.access_link_create, name="access_link_create"),
    path(person + "access-link/revoke/", rights.access_links_revoke, name="access_links_revoke"),
    path(person + "access-history/", rights.access_history, name="access_history"),
    path("me/start/<str:token>/", rights.self_start, name="self_start"),
    path("me/", rights.self_home, name="self_home"),
    path("me/download/", rights.self_download, name="self_download"),
    path("me/information/", rights.self_information, name="self_information"),
    path("me/leave/", rights.self_leave, name="self_leave"),
    # referrals.py
    path(org + "referrals/", referrals.referral_board, name="referral_board"),
    path(org + "referrals/new/", referrals.referral_create, name="referral_create"),
    path(org + "referrals/<str:referral_id>/", referrals.referral_detail, name="referral_detail"),
    path(org + "referrals/<str:referral_id>/step/", referrals.referral_step, name="referral_step"),
    path(org + "my-referrals/", referrals.my_referrals, name="my_referrals"),
    path(org + "my-referrals/<str:referral_id>/", referrals.my_referral_detail, name="my_referral_detail"),
    path(org + "partners/", referrals.partner_list, name="partner_list"),
    path(org + "partners/new/", referrals.partner_create, name="partner_create"),
    path(org + "partners/<str:partner_id>/", referrals.partner_edit, name="partner_edit"),
    # public.py
    path("o/<slug:org_slug>/reach-out/", public.self_referral, name="self_referral"),
    path("o/<slug:org_slug>/reach-out/thanks/", public.self_referral_thanks, name="self_referral_thanks"),
]
