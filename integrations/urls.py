from django.urls import include, path

from integrations.views import connections, pushes

app_name = "integrations"
urlpatterns = [
    path("account/connections/", connections.connections_page, name="connections"),
    path("account/connections/<int:pk>/target/", connections.choose_target, name="target"),
    path("account/connections/<int:pk>/delete/", connections.delete, name="delete"),
    path("tickets/<str:public_id>/push/", pushes.preview, name="preview"),
    path("tickets/<str:public_id>/push/status/", pushes.status, name="status"),
    path("tickets/push/", pushes.preview_many, name="preview_many"),
    path("pushes/<int:pk>/retry/", pushes.retry, name="retry"),
    path("integrations/github/", include("integrations.connect.github")),
    path("integrations/gitlab/", include("integrations.connect.gitlab")),
    path("integrations/jira/", include("integrations.connect.jira")),
    path("integrations/slack/", include("integrations.slack.urls")),
]
