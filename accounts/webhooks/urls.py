from django.urls import path

from accounts.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("account/webhooks/", views.webhooks_page, name="page"),
    path("account/webhooks/secret/", views.reveal_secret, name="reveal"),
    path("account/webhooks/secret/rotate/", views.rotate_secret, name="rotate"),
    path("account/webhooks/test/", views.send_test, name="test"),
    path("account/webhooks/delete/", views.delete_endpoint, name="delete"),
    path("account/webhooks/deliveries/<str:event_id>/resend/", views.resend, name="resend"),
]
