from django.urls import path

from billing import plan_views, views

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
    path("billing/subscribe/<slug:slug>/", plan_views.subscribe, name="subscribe"),
    path("billing/subscribed/", plan_views.subscribed, name="subscribed"),
    path("billing/portal/", plan_views.portal, name="portal"),
    path("billing/plan/cancel/", plan_views.cancel_plan, name="cancel_plan"),
    path("billing/plan/resume/", plan_views.resume_plan, name="resume_plan"),
    path("billing/test-subscribe/<str:session_id>/", plan_views.test_subscribe,
         name="test_subscribe"),
    path("billing/plan/test-action/", plan_views.test_subscription_action,
         name="test_subscription_action"),
]
