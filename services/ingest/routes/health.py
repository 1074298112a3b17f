"""Liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics).

/healthz answers as long as the process serves HTTP (what `hotline up` and a container runtime
wait for); /readyz only when the broker answers and the topics exist, so a load balancer stops
sending events to an instance that could only answer 503.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.ingest.deps import ComponentsDep
from services.ingest.errors import BrokerUnavailable, problem_response
from services.ingest.metrics import CONTENT_TYPE
from services.ingest.models import Health, Problem, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get(
    "/readyz", response_model=Readiness, summary="The broker answers and the topics exist",
    responses={503: {"model": Problem, "description": "not ready; the detail says why"}},
)
async def readyz(c: ComponentsDep) -> Response:
    reason = await c.publisher.not_ready()
    if reason is not None:
        return problem_response(BrokerUnavailable(
            f"not ready: {reason}",
            headers={"Retry-After": str(c.settings.retry_after_s)},
        ), "/readyz")
    return Response(b'{"status":"ready"}', media_type="application/json")


@router.get(
    "/metrics", summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "see services/ingest/metrics.py"}},
)
async def metrics(c: ComponentsDep) -> Response:
    # Reachability as Prometheus sees it at scrape time (the check is cached a few seconds).
    c.metrics.broker_up.set(0 if await c.publisher.not_ready() else 1)
    return Response(c.metrics.exposition(), media_type=CONTENT_TYPE)
