"""Liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics) and the published JSON
Schema of the report document."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from hotline.contract import schemas_root
from services.api.deps import ComponentsDep
from services.api.errors import NotFound
from services.api.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz", summary="ClickHouse answers; how far the working-day calendar reaches",
            responses={503: {"description": "not ready"}})
async def readyz(c: ComponentsDep) -> Response:
    await run_in_threadpool(c.reader.ping)
    # Coverage is information, not readiness: an uncovered day leaves handling times pending,
    # it stops nothing (the coverage alert is what acts on it).
    calendar = c.calendar.state.describe(c.calendar.today())
    return Response(orjson.dumps({"status": "ready", "calendar": {
        k: calendar[k] for k in ("covered_until", "days_left", "pending_tickets", "problems")}}),
        media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=Response)
async def metrics(c: ComponentsDep) -> Response:
    return Response(c.metrics.exposition(), media_type=CONTENT_TYPE)


def _schema(name: str, what: str) -> Response:
    path = schemas_root() / "report" / "v1" / f"{name}.json"
    if not path.exists():
        raise NotFound(f"the {what} schema is not installed (looked for {path.name} under the schemas folder)")
    return Response(path.read_bytes(), media_type="application/schema+json")


@router.get("/v1/schemas/report.json", summary="The JSON Schema of the report document", tags=["reports"])
async def report_schema() -> Response:
    return _schema("report", "report")


@router.get("/v1/schemas/brief.json", summary="The JSON Schema of the weekly/monthly brief and the department "
            "assessment", tags=["briefs"])
async def brief_schema() -> Response:
    return _schema("brief", "brief")
