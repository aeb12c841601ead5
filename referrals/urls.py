from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("r/<str:code>", views.follow_link, name="follow"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/new-link/", views.regenerate, name="regenerate"),
    path("referrals/leaderboard/", views.leaderboard, name="leaderboard"),
]
