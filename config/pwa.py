"""The installable app: the web app manifest, the service worker and the offline page.

The service worker is served from the site root (/sw.js) so its scope is the whole site, and it
is rendered from a template so the static URLs it pre-caches are the real ones (hashed by the
manifest storage in production). What it may cache is deliberately narrow: static files and
the public offline page, never a page or fragment a person asked for (see templates/pwa/sw.js).
"""

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# The light theme's page background and header colour (static/css/app.css, :root).
BACKGROUND_COLOR = "#f7f8fb"
THEME_COLOR = "#ffffff"

ICONS = [
    {"src": "img/icons/icon-192.png", "sizes": "192x192", "type": "image/png",
     "purpose": "any"},
    {"src": "img/icons/icon-512.png", "sizes": "512x512", "type": "image/png",
     "purpose": "any"},
    {"src": "img/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
     "purpose": "maskable"},
    {"src": "img/logo.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
]

# What every page needs to draw itself (pre-cached at install, so the offline page has its
# stylesheet and logo). Other static files are cached as pages ask for them.
CORE_ASSETS = [
    "css/app.css",
    "js/app.js",
    "js/pwa.js",
    "django_htmx/htmx-2.min.js",
    "img/logo.svg",
    "img/favicon.svg",
    "img/chevron-down.svg",
    "img/icons/icon-192.png",
    "img/icons/icon-512.png",
    "img/icons/icon-maskable-512.png",
    "img/icons/apple-touch-icon.png",
]


@require_safe
@cache_control(no_cache=True)
def manifest(request):
    data = {
        "id": "/",
        "name": "MyBA",
        "short_name": "MyBA",
        "description": "Turn a short description into a professional software ticket.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "categories": ["productivity", "business"],
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    return JsonResponse(data, content_type="application/manifest+json",
                        json_dumps_params={"indent": 2})


def precache_urls() -> list[str]:
    """The offline page and the core assets that exist (an app's asset may be renamed by an
    upgrade: a missing one is left out rather than failing the worker's install)."""
    return [reverse("offline")] + [static(path) for path in CORE_ASSETS if finders.find(path)]


@require_safe
@cache_control(no_cache=True)
def service_worker(request):
    template = get_template("pwa/sw.js")
    urls = precache_urls()
    # A new asset URL (a new hash in production) or a new worker script is a new version: the
    # browser sees changed bytes, installs the new worker, and it deletes the old caches.
    source = template.template.source if hasattr(template, "template") else ""
    version = hashlib.sha256(
        json.dumps([urls, source]).encode()).hexdigest()[:12]
    body = template.render({
        "version": version,
        "precache_json": json.dumps(urls),
        "offline_url_json": json.dumps(reverse("offline")),
        # Not static(""): a manifest storage has no entry for "" and would raise.
        "static_prefix_json": json.dumps(settings.STATIC_URL),
    })
    return HttpResponse(body, content_type="application/javascript; charset=utf-8")


@require_safe
def offline(request):
    """Public, the same for everyone: the service worker keeps a copy to show when the network
    is gone. It must never show anything about the person (no balance, no name)."""
    return render(request, "offline.html")
