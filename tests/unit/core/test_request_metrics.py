"""hotline.web.request_metrics (the middleware both HTTP services use) and
hotline.web.prometheus (how every service declares and documents its metrics)."""

from __future__ import annotations

import asyncio
import importlib

import httpx
import pytest
from fastapi import FastAPI, Response
from starlette.types import Scope

from hotline.web.prometheus import LATENCY_BUCKETS_S, ServiceMetrics
from hotline.web.request_metrics import RequestMetrics, route_labels


class _Metrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.requests = self.counter("t_requests_total", "requests by outcome", ["outcome"])
        self.duration = self.histogram("t_request_duration_seconds", "time to answer", ["outcome"],
                                       buckets=LATENCY_BUCKETS_S)
        self.by_route = self.histogram("t_route_duration_seconds", "time to answer, by route",
                                       ["route", "method", "status"], buckets=LATENCY_BUCKETS_S)


def _outcome(scope: Scope, status: int) -> tuple[str]:
    return ({207: "partial", 422: "rejected"}.get(status, "other"),)


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/events")
    async def events(status: int) -> Response:
        return Response(status_code=status)

    @app.get("/items/{item}")
    async def item(item: int) -> Response:
        if item == 0:
            raise RuntimeError("boom")
        return Response(b"{}", media_type="application/json")

    return app


def _requests(app: FastAPI, *requests: tuple[str, str]) -> list[int]:
    """The status of each (method, url), sent in order; an exception in the app is a 500."""
    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [(await client.request(method, url)).status_code for method, url in requests]
    return asyncio.run(go())


def test_one_endpoint_counted_and_timed_by_outcome() -> None:
    m = _Metrics()
    app = _app()
    app.add_middleware(RequestMetrics, duration=m.duration, count=m.requests, labels=_outcome,
                       method="POST", path="/v1/events")
    assert _requests(
        app, ("POST", "/v1/events?status=207"), ("POST", "/v1/events?status=207"), ("POST", "/v1/events?status=422"),
        ("GET", "/v1/events"),  # another method: not measured
        ("GET", "/items/3"),  # another path: not measured
    ) == [207, 207, 422, 405, 200]
    r = m.registry
    assert r.get_sample_value("t_requests_total", {"outcome": "partial"}) == 2
    assert r.get_sample_value("t_requests_total", {"outcome": "rejected"}) == 1
    assert r.get_sample_value("t_requests_total", {"outcome": "other"}) is None
    assert r.get_sample_value("t_request_duration_seconds_count", {"outcome": "partial"}) == 2
    assert r.get_sample_value("t_request_duration_seconds_count", {"outcome": "rejected"}) == 1
    assert r.get_sample_value("t_request_duration_seconds_count", {"outcome": "other"}) is None


def test_every_request_timed_by_route_template_method_and_status() -> None:
    m = _Metrics()
    app = _app()
    app.add_middleware(RequestMetrics, duration=m.by_route, labels=route_labels)
    assert _requests(
        app, ("GET", "/items/7"), ("GET", "/items/8"), ("GET", "/nowhere/13800138000"),
        ("GET", "/items/0"),  # the route raises: no answer started
        ("POST", "/v1/events?status=422"),
    ) == [200, 200, 404, 500, 422]

    def count(route: str, method: str, status: str) -> float | None:
        return m.registry.get_sample_value(
            "t_route_duration_seconds_count", {"route": route, "method": method, "status": status})

    assert count("/items/{item}", "GET", "200") == 2
    assert count("unmatched", "GET", "404") == 1  # never the raw path
    assert count("/items/{item}", "GET", "500") == 1
    assert count("/v1/events", "POST", "422") == 1
    assert m.registry.get_sample_value("t_requests_total", {"outcome": "rejected"}) is None  # no count given


def test_declared_metrics_sit_in_their_own_registry_beside_the_process_metrics() -> None:
    a, b = _Metrics(), _Metrics()  # two apps in one process: no clash
    a.requests.labels("partial").inc()
    text = a.exposition().decode()
    assert 't_requests_total{outcome="partial"} 1.0' in text
    assert "\nprocess_resident_memory_bytes " in text
    assert b.registry.get_sample_value("t_requests_total", {"outcome": "partial"}) is None


def test_a_counter_is_declared_by_its_exposed_name() -> None:
    with pytest.raises(ValueError, match="t_requests: a counter's name ends with _total"):
        ServiceMetrics().counter("t_requests", "requests")


@pytest.mark.parametrize("module", ["services.ingest.metrics", "services.api.metrics", "services.aggregate.metrics"])
def test_every_service_documents_exactly_the_metrics_it_declares(module: str) -> None:
    mod = importlib.import_module(module)
    documented = {row.split("|")[1].strip() for row in mod.__doc__.splitlines() if row.startswith("| hotline_")}
    declared = set()
    for family in mod.Metrics().registry.collect():
        if not family.name.startswith("process_"):
            declared.add(family.name + ("_total" if family.type == "counter" else ""))
    assert declared == {name for name in documented if not name.endswith("*")}
    assert all(family.documentation for family in mod.Metrics().registry.collect())
