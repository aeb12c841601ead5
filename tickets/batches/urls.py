from django.urls import path, register_converter

from tickets.batches import views
from tickets.models import PUBLIC_ID_REGEX


class BatchIdConverter:
    """A batch's public id (the same alphabet as a ticket's)."""

    regex = PUBLIC_ID_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BatchIdConverter, "batch_id")

app_name = "batches"
urlpatterns = [
    path("tickets/batches/", views.batch_list, name="list"),
    path("tickets/batches/new/", views.batch_new, name="new"),
    path("tickets/batches/sample.csv", views.batch_sample, name="sample"),
    path("tickets/batches/<batch_id:public_id>/", views.batch_detail, name="detail"),
    path("tickets/batches/<batch_id:public_id>/confirm/", views.batch_confirm, name="confirm"),
    path("tickets/batches/<batch_id:public_id>/cancel/", views.batch_cancel, name="cancel"),
    path("tickets/batches/<batch_id:public_id>/results/<str:fmt>/", views.batch_results,
         name="results"),
]
