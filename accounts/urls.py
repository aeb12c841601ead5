from django.urls import path

from accounts import views
from accounts.apikeys import views as apikeys
from accounts.languages import views as languages
from accounts.notifications import views as notifications
from accounts.usage import views as usage

app_name = "accounts"
urlpatterns = [
    path("account/settings/", views.account_settings, name="settings"),
    path("account/delete/", views.delete_account, name="delete"),
    path("account/time-zone/", views.update_time_zone, name="time_zone"),
    path("account/languages/", languages.update_languages, name="languages"),
    path("language/", languages.switch_language, name="switch_language"),
    path("account/balance/", views.balance_badge, name="balance_badge"),
    path("account/welcome/", views.welcome, name="welcome"),
    path("account/welcome/dismiss/", views.dismiss_welcome, name="dismiss_welcome"),
    path("account/sessions/<int:session_id>/end/", views.end_session, name="end_session"),
    path("account/usage/", usage.usage, name="usage"),
    path("account/usage/alert/", usage.update_threshold, name="usage_alert"),
    path("account/usage/history.csv", usage.usage_csv, name="usage_csv"),
    path("account/usage/statement/", usage.usage_statement, name="usage_statement"),
    path("account/api-keys/", apikeys.api_keys, name="api_keys"),
    path("account/api-keys/<int:key_id>/revoke/", apikeys.revoke_key, name="revoke_api_key"),
    path("account/data-export/", usage.data_export, name="data_export"),
    path("account/emails/", notifications.update_email_preferences, name="email_preferences"),
    path("account/emails/off/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
    path("account/alerts/<int:alert_id>/dismiss/", notifications.dismiss_alert,
         name="dismiss_alert"),
]
