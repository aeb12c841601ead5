"""Request ids (taken from X-Request-ID when a proxy sets a sane one, otherwise generated),
the branded 404 in development, and request timing for /metrics."""

import re
import time
import uuid

from .logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class BrandedNotFoundMiddleware:
    """With DEBUG on, a page that does not exist shows the site's own 404 page, not Django's
    technical one: `make run` is also how people try the product. Developers who want the
    technical page (the URL patterns tried) set DEBUG_TECHNICAL_404=1. Only HTML answers are
    swapped; with DEBUG off Django already renders 404.html and this is not installed."""

    def __init__(self, get_response):
        from django.conf import settings
        from django.core.exceptions import MiddlewareNotUsed

        if not settings.DEBUG or settings.DEBUG_TECHNICAL_404:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import render

        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return render(request, "404.html", status=404)
        return response


class RequestMetricsMiddleware:
    """Observes each request's time in the Prometheus histogram by route (the URL pattern,
    not the path: `/tickets/<public_id>/` is one series however many tickets there are)."""

    def __init__(self, get_response):
        from admin_dashboard.prometheus import observe_request

        self.get_response = get_response
        self.observe = observe_request

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        self.observe(route=f"/{match.route}" if match is not None else "unmatched",
                     method=request.method, status=response.status_code,
                     seconds=time.perf_counter() - started)
        return response


class RateLimitHeadersMiddleware:
    """Puts `X-RateLimit-Limit/Remaining/Reset` (and `Retry-After` when refused) on the answer
    to a request that a rate limit counted (`request.rate_limit`, set by the API's key check
    and the generator's submit), whatever the view returned."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        result = getattr(request, "rate_limit", None)
        if result is not None:
            for name, value in result.headers().items():
                response[name] = value
        return response
