from django.urls import path

from admin_dashboard.views import (
    growth,
    ops,
    overview,
    promotions,
    prompts,
    subscriptions,
    users,
)

app_name = "admin_dashboard"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("refresh/", overview.refresh_overview, name="refresh_overview"),
    path("funnel/", overview.funnel, name="funnel"),
    path("users/", users.user_list, name="users"),
    path("users/<int:pk>/", users.user_detail, name="user_detail"),
    path("users/<int:pk>/adjust/", users.adjust_tokens, name="adjust_tokens"),
    path("users/<int:pk>/deactivate/", users.deactivate_user, name="deactivate_user"),
    path("audit/", users.audit_log, name="audit"),
    path("webhooks/", ops.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/retry/", ops.retry_webhook, name="retry_webhook"),
    path("subscriptions/", subscriptions.subscriptions, name="subscriptions"),
    path("growth/", growth.growth, name="growth"),
    path("growth/referrals/<int:pk>/decide/", growth.decide_referral, name="decide_referral"),
    path("promotions/", promotions.promotions, name="promotions"),
    path("promotions/<int:pk>/deactivate/", promotions.deactivate_promotion,
         name="deactivate_promotion"),
    path("generations/", ops.generations, name="generations"),
    path("prompts/", prompts.prompts, name="prompts"),
    path("health/", ops.health_page, name="health"),
]
