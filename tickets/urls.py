from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.new_ticket, name="new"),
    path("tickets/export/", views.tickets_export, name="export_many"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/status/", views.ticket_status, name="status"),
    path("tickets/<int:pk>/edit/", views.ticket_edit, name="edit"),
    path("tickets/<int:pk>/delete/", views.ticket_delete, name="delete"),
    path("tickets/<int:pk>/rate/", views.ticket_rate, name="rate"),
    path("tickets/<int:pk>/export/<str:fmt>/", views.ticket_export, name="export"),
]
