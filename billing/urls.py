from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.history, name="history"),
    path("billing/auto-top-up/", views.update_auto_top_up, name="auto_top_up"),
    path("billing/auto-top-up/card/", views.save_card, name="save_card"),
    path("billing/checkout/<slug:slug>/", views.checkout, name="checkout"),
    path("billing/success/", views.success, name="success"),
    path("billing/cancel/", views.cancel, name="cancel"),
    path("billing/test-checkout/<uuid:public_id>/", views.test_checkout, name="test_checkout"),
    path("billing/purchases/<uuid:public_id>/receipt/", views.receipt, name="receipt"),
]
