"""The Slack app: slash command, message shortcut, account linking, results posted back."""

from django.urls import path

from integrations.slack import views

urlpatterns = [
    path("commands/", views.command, name="slack_command"),
    path("interactivity/", views.interactivity, name="slack_interactivity"),
    path("link/<str:token>/", views.link_account, name="slack_link"),
    path("", views.slack_settings, name="slack_settings"),
    path("links/<int:pk>/unlink/", views.unlink, name="slack_unlink"),
]
