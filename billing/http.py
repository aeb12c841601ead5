"""Responses the billing views share."""

from django.http import HttpResponseRedirect


def see_other(url: str) -> HttpResponseRedirect:
    """303 See Other: after a POST the browser follows with a GET (to Stripe, its portal or a
    local test page), never re-sending the form."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
