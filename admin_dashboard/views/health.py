from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from admin_dashboard.health import run_health_checks


@never_cache
@require_GET
def health(request):
    result = run_health_checks()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
