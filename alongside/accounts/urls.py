from __future__ import annotations

from django.urls import path

from alongside.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("verify/", views.verify, name="verify"),
    path("confirm/", views.confirm_password, name="confirm_password"),
    path("two-factor/", views.setup_2fa, name="setup_2fa"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("account/", views.account, name="account"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<str:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("account/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
]
