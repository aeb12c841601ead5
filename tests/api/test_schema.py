"""Property-based tests of the whole API from its own OpenAPI schema (Schemathesis), on the
real database: whatever the input, no server error, and every answer matches the schema
(bad input is a documented 4xx in the error contract, never a 500 or HTML). Requests that
fit the schema and requests that break it, for every operation."""

from itertools import product

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.generation import GenerationMode

from tests.api.conftest import ApiClient

EXAMPLES = 30
# Two checks are off, on purpose: a request the schema allows may still be refused (a 422:
# the generator's form has rules a JSON schema cannot say, like a description of words, not
# spaces), and one the schema forbids may be served when what it breaks is harmless (an
# unknown query parameter is ignored, as most APIs do).
LENIENT = [positive_data_acceptance, negative_data_rejection]


@pytest.fixture
def api_schema(db, prices, offline, settings):
    settings.API_RATE_LIMIT_KEY = settings.API_RATE_LIMIT_WORKSPACE = 1_000_000
    # Called as a WSGI app, Django would close the test's connection after each request (as
    # its test client avoids): the test's transaction must stay open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_endpoint_keeps_its_contract(api_schema, api: ApiClient):
    headers = {"Authorization": f"Bearer {api.key}"}
    checked = []
    for result, mode in product(api_schema.get_all_operations(), GenerationMode):
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=LENIENT)

        check()
        checked.append((operation.label, mode))
    assert len(checked) >= 2 * 9, checked
