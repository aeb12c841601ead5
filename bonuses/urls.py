from django.urls import path

from bonuses import views

app_name = "bonuses"
urlpatterns = [
    path("bonus/", views.bonus, name="bonus"),
    path("bonus/claim/", views.claim, name="claim"),
]
