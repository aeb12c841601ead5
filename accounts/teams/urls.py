from django.urls import path

from accounts.teams.views import invitations, members, pages

app_name = "teams"
urlpatterns = [
    path("", pages.team_list, name="list"),
    path("switch/", pages.switch, name="switch"),
    path("invitations/<int:invitation_id>/join/", invitations.join, name="join"),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("<slug:slug>/", pages.team_detail, name="detail"),
    path("<slug:slug>/audit/", pages.audit_log, name="audit"),
    path("<slug:slug>/usage/", pages.team_usage, name="usage"),
    path("<slug:slug>/invite/", members.invite, name="invite"),
    path("<slug:slug>/invitations/<int:invitation_id>/resend/", members.resend, name="resend"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke/", members.revoke, name="revoke"),
    path("<slug:slug>/members/<int:member_id>/role/", members.change_role, name="role"),
    path("<slug:slug>/members/<int:member_id>/limits/", members.set_limits, name="limits"),
    path("<slug:slug>/members/<int:member_id>/remove/", members.remove, name="remove"),
    path("<slug:slug>/members/<int:member_id>/transfer/", members.transfer, name="transfer"),
    path("<slug:slug>/budget/", members.set_budget, name="budget"),
    path("<slug:slug>/leave/", members.leave, name="leave"),
]
