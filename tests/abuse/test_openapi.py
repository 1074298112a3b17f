"""Schemathesis against both services' own OpenAPI documents (/openapi.json as served): requests
that fit the documents (positive) and requests that break them (negative: wrong types, missing
and extra parameters, bodies of the wrong shape), with the development token, every route.

Per request: never a 5xx, an answer within 10 s, and an error answer is an RFC 9457 problem.
The generated events that fit the contract are accepted and flow on to ClickHouse; what they
left there is checked by test_storage.py when it runs after this module.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.support.abuse import AUTH, SLOW, TRIED

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

# The fast part (default run) and the slow one (--slow): examples per service and mode.
EXAMPLES = 2000 if SLOW else 150


def _run(abuse_stack, service: str, mode: GenerationMode) -> Counter[int]:
    base = abuse_stack.url(service)
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    statuses: Counter[int] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(generation_mode=mode))
    def one(case) -> None:
        start = time.monotonic()
        r = case.call(base_url=base, headers={**(case.headers or {}), **AUTH}, timeout=10)
        took = time.monotonic() - start
        statuses[r.status_code] += 1
        TRIED[f"{service}: schemathesis {mode}"] += 1
        where = f"{case.method} {case.formatted_path} {case.query!r}"
        assert r.status_code < 500, (where, r.status_code, r.text[:300])
        assert took < 10, (where, took)
        if service == "ingest" and r.status_code in (200, 207, 422) and case.path == "/v1/events":
            answer = r.json()  # per-event results, also when every event was rejected
            assert answer["accepted"] + answer["rejected"] == len(answer["results"]), (where, answer)
        elif r.status_code >= 400:
            content_type = r.headers.get("content-type", [""])[0]  # schemathesis: a list per header
            assert content_type.startswith("application/problem+json"), (where, r.status_code, r.headers)

    one()
    abuse_stack.assert_responsive()
    return statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_ingest_openapi(abuse_stack, mode):
    statuses = _run(abuse_stack, "ingest", mode)
    print(f"ingest {mode}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= EXAMPLES // 2


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_openapi(abuse_stack, mode):
    statuses = _run(abuse_stack, "api", mode)
    print(f"api {mode}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= EXAMPLES // 2
