"""Property-based requests from our own OpenAPI schema: no 5xx, answers match the schema.

In `make test` the run is derandomised: the same few examples per operation on every run and
every machine, so a submission never fails on a bug it did not touch (the integer and text
sweeps cover those classes deterministically). `make fuzz` digs deeper with fresh random cases
(FIELDCRM_FUZZ=1, FIELDCRM_SCHEMATHESIS_EXAMPLES examples per operation) on both databases and
prints each failure with its curl reproduction.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from fieldcrm.users.services import token_create
from fieldcrm.wsgi import application
from tests.factories import make_account

EXAMPLES = int(os.environ.get("FIELDCRM_SCHEMATHESIS_EXAMPLES", "4"))
RANDOM = os.environ.get("FIELDCRM_FUZZ") == "1"
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schemathesis.serializer("application/offset+octet-stream")
def _photo_part(ctx, value):
    """A resumable photo upload's part (PATCH /api/v1/photos/{id}): raw bytes."""
    if value is None:
        return None
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Called as a WSGI app, Django closes the connection after each request; that would end
    # the test's transaction. Django's own test client disconnects these handlers the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(world):
    make_account("Some shop", lng=1.05, lat=42.05)
    _, secret = token_create(user=world.admin, name="schemathesis")
    return secret


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
    derandomize=not RANDOM, database=None,
)  # fmt: skip
def test_api_never_answers_5xx_and_matches_its_schema(case, admin_token):
    case.call_and_validate(
        # Uncompressed answers: the checks read the body as sent (GZipMiddleware is on).
        headers={"Authorization": f"Bearer {admin_token}", "Accept-Encoding": "identity"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
