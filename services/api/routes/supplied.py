"""Figures that are not in the event stream (staff, knowledge base, regulations), supplied by a
report builder as one JSON object per year and shown in that year's report, marked as supplied."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from hotline.web.body import BadContentLength, BodyTooLarge, read_limited
from services.api.deps import ComponentsDep, SuppliedReaderDep, SupplierDep
from services.api.errors import InvalidParameter, NotFound, PayloadTooLarge

router = APIRouter(prefix="/v1/reports/annual/{year}", tags=["supplied figures"])
YearPath = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/supplied", summary="The year's supplied figures",
            responses={404: {"description": "nothing supplied for the year"}})
async def get_supplied(year: YearPath, c: ComponentsDep, _: SuppliedReaderDep) -> Response:
    row = await run_in_threadpool(c.reader.supplied, year)
    if row is None:
        raise NotFound(f"no figures were supplied for {year}")
    document, by, updated_at = row
    return Response(orjson.dumps({"year": year, "supplied_by": by, "updated_at": updated_at.isoformat(),
                                  "figures": orjson.loads(document)}), media_type="application/json")


@router.put(
    "/supplied", summary="Replace the year's supplied figures (scope `supply`)",
    description="The body is a JSON object, any shape (e.g. {\"platform\": {\"agents_total\": 252}}); "
    "it replaces the previous document of the year and appears under `supplied` in the report.",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
    responses={400: {"description": "not a JSON object"}, 413: {"description": "too large"}},
)
async def put_supplied(year: YearPath, request: Request, c: ComponentsDep, reader: SupplierDep) -> Response:
    body = await read_body(request, c.settings.max_supplied_bytes)
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidParameter("the body is not valid JSON", parameter="body") from None
    if not isinstance(doc, dict):
        raise InvalidParameter("the body must be a JSON object", parameter="body")
    try:
        text = orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        # orjson reads up to 1024 levels of nesting but writes at most 254.
        raise InvalidParameter("the body nests deeper than 254 levels", parameter="body") from None
    # The version only grows (nanoseconds), so the newest document wins and the reports'
    # cache validator moves.
    await run_in_threadpool(c.reader.put_supplied, year, text, reader.name, time.time_ns())
    return Response(orjson.dumps({"year": year, "stored": True}), media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The document, or 413 as soon as it is known to exceed `limit` (hotline/web/body.py)."""
    try:
        return await read_limited(request, limit)
    except BodyTooLarge:
        raise _too_large(limit) from None
    except BadContentLength:
        raise InvalidParameter("Content-Length is not a number", parameter="Content-Length") from None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the document is larger than {limit} bytes", limit=limit)
