from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from admin_dashboard.views import health, metrics
from config import home, pwa
from config.api import api, api_not_found

# A lost database answers 503 with Retry-After; anything else the usual 500 page.
handler500 = "config.errors.server_error"

urlpatterns = [
    path("", home.home, name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (the Django admin, files).
    # The unhashed static name is stable across releases, so the redirect can be permanent.
    path("favicon.ico",
         RedirectView.as_view(url=f"{settings.STATIC_URL}img/favicon.ico", permanent=True)),
    # The installable app: served from the root so the service worker's scope is the site.
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("teams/", include("accounts.teams.urls")),
    path("", include("accounts.webhooks.urls")),
    path("", include("tickets.batches.urls")),
    path("", include("tickets.urls")),
    path("", include("billing.urls")),
    path("", include("bonuses.urls")),
    path("", include("gifts.urls")),
    path("", include("referrals.urls")),
    path("", include("integrations.urls")),
    path("dashboard/", include("admin_dashboard.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]
