from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from admin_dashboard.health import run_health_checks
from admin_dashboard.prometheus import render_metrics


@never_cache
@require_GET
def health(request):
    result = run_health_checks()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus's scrape: only with `Authorization: Bearer <METRICS_TOKEN>`; a 404 when no
    token is configured (the endpoint does not exist then)."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not constant_time_compare(sent, expected):
        response = HttpResponse("A valid metrics token is required.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
