"""schemathesis against the agency API's own OpenAPI document (/api/v1/openapi.json): for requests
generated from every operation's schema, valid and invalid, the API never answers 5xx, answers
only status codes and bodies its document declares, and says why in JSON when it refuses. Bounded
(`max_examples`) so it stays a few seconds in CI."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actions.catalog_access import catalog
from api.app import create_api
from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP
from pipeline.outbox import Outbox
from tests.pipeline.pipeline_doubles import FakeSender

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def agency_api(store):
    if store.db.dialect != "sqlite":
        pytest.skip("one database is enough for drawing requests")
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status")
    key = store.agencies.issue_key("cspd").key
    outbox = Outbox(store, InProcessCoordination(), {WHATSAPP: FakeSender(WHATSAPP), SMS: FakeSender(SMS)}, {})
    app = FastAPI()
    app.mount("/api/v1", create_api(store=lambda: store, outbox=lambda: outbox, catalog=catalog))
    return app, key


@pytest.fixture
def api_schema(agency_api):
    app, key = agency_api
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    schema.key = key  # type: ignore[attr-defined]
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_document_and_never_5xx(case, agency_api):
    _app, key = agency_api
    response = case.call(base_url="http://agency.test/api/v1", headers={"Authorization": f"Bearer {key}"})
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and (body.get("reason") or body.get("error")), response.text
