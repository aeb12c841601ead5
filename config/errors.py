"""The site's answer when a request fails on the server (`handler500` in config/urls.py).

A database that cannot be reached (restarting, failing over, a network blip) is not a bug in
the request: the answer is 503 with Retry-After, so browsers, htmx and load balancers know to
try again shortly. Everything else is a 500, as Django would answer.
"""

import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException | None) -> bool:
    """True for the errors a lost or refused database connection raises."""
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request, template_name: str = "500.html") -> HttpResponse:
    error = sys.exc_info()[1]
    if not database_unavailable(error):
        return django_server_error(request, template_name=template_name)
    # Drop the broken connections now rather than at the end of the request, so the next
    # request on this process reconnects as soon as the database is back.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
