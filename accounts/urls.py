from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("account/settings/", views.account_settings, name="settings"),
    path("account/delete/", views.delete_account, name="delete"),
    path("account/balance/", views.balance_badge, name="balance_badge"),
    path("account/welcome/", views.welcome, name="welcome"),
    path("account/welcome/dismiss/", views.dismiss_welcome, name="dismiss_welcome"),
    path("account/sessions/<int:session_id>/end/", views.end_session, name="end_session"),
]
