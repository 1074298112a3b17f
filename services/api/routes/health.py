"""Liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics) and the published JSON
Schema of the report document."""

from __future__ import annotations

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


@router.get("/readyz", summary="ClickHouse answers", responses={503: {"description": "not ready"}})
async def readyz(c: ComponentsDep) -> Response:
    await run_in_threadpool(c.reader.ping)
    return Response(b'{"status":"ready"}', media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=Response)
async def metrics(c: ComponentsDep) -> Response:
    return Response(c.metrics.exposition(), media_type=CONTENT_TYPE)


@router.get("/v1/schemas/report.json", summary="The JSON Schema of the report document", tags=["reports"])
async def report_schema() -> Response:
    path = schemas_root() / "report" / "v1" / "report.json"
    if not path.exists():
        raise NotFound(f"the report schema is not installed (looked for {path.name} under the schemas folder)")
    return Response(path.read_bytes(), media_type="application/schema+json")
