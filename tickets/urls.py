from django.urls import path, register_converter

from tickets import views
from tickets.models import PUBLIC_ID_REGEX
from tickets.ticket_templates import views as template_views
from tickets.views import downloads, history, similar, splits


class PublicIdConverter:
    """A ticket's public id. Database ids (the old `/tickets/22/`) do not match: they 404."""

    regex = PUBLIC_ID_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PublicIdConverter, "ticket_id")

app_name = "tickets"
urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.new_ticket, name="new"),
    path("tickets/similar/", similar.similar_tickets, name="similar"),
    path("tickets/export/", downloads.tickets_export, name="export_many"),
    path("tickets/templates/", template_views.template_list, name="templates"),
    path("tickets/templates/new/", template_views.template_new, name="template_new"),
    path("tickets/templates/<str:template_id>/", template_views.template_detail,
         name="template_detail"),
    path("tickets/templates/<str:template_id>/edit/", template_views.template_edit,
         name="template_edit"),
    path("tickets/templates/<str:template_id>/copy/", template_views.template_copy,
         name="template_copy"),
    path("tickets/templates/<str:template_id>/delete/", template_views.template_delete,
         name="template_delete"),
    path("tickets/<ticket_id:public_id>/", views.ticket_detail, name="detail"),
    path("tickets/<ticket_id:public_id>/status/", views.ticket_status, name="status"),
    path("tickets/<ticket_id:public_id>/edit/", views.ticket_edit, name="edit"),
    path("tickets/<ticket_id:public_id>/delete/", views.ticket_delete, name="delete"),
    path("tickets/<ticket_id:public_id>/move/", views.ticket_move, name="move"),
    path("tickets/<ticket_id:public_id>/rate/", views.ticket_rate, name="rate"),
    path("tickets/<ticket_id:public_id>/export/<str:fmt>/", downloads.ticket_export, name="export"),
    path("tickets/<ticket_id:public_id>/improve/", history.ticket_improve, name="improve"),
    path("tickets/<ticket_id:public_id>/improvement/", history.ticket_improvement,
         name="improvement"),
    path("tickets/<ticket_id:public_id>/children/", splits.ticket_children, name="children"),
    path("tickets/<ticket_id:public_id>/split/", splits.ticket_split, name="split"),
    path("tickets/<ticket_id:public_id>/versions/", history.ticket_versions, name="versions"),
    path("tickets/<ticket_id:public_id>/versions/<int:number>/restore/", history.ticket_restore,
         name="restore"),
]
