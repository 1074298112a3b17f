"""The year's table "共享数据情况" (what was shared with departments), from the data-share log
(services/api/share_log.py). City-wide read tokens only: it names every department's shares."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Response
from fastapi.concurrency import run_in_threadpool

from services.api.deps import ComponentsDep, SharesReaderDep, known_parameters
from services.api.report import data_shares

router = APIRouter(prefix="/v1/reports/annual/{year}", tags=["data shares"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="the year the shares were made in (local calendar)")]


@router.get(
    "/data-shares", summary="The year's data shared with departments (共享数据情况)",
    description="One row per department that received its tickets' figures through a department token "
    "in the year: 序号 (per 行政层级), 行政层级, 共享部门, 共享方式, 共享主题, 共享诉求数据量（件）, then 总计. "
    "Computed from the data-share log, which every answer to a department token is written to before it "
    "is sent. `format=csv` answers one UTF-8 (BOM) CSV file.",
    responses={403: {"description": "not a city-wide read token"}},
    dependencies=[Depends(known_parameters("format"))],
)
async def shares(year: YearPath, c: ComponentsDep, _: SharesReaderDep,
                 format: Literal["json", "csv"] = "json") -> Response:
    rows = await run_in_threadpool(c.reader.rows, "data_shares", {"lo": dt.date(year, 1, 1), "hi": dt.date(year, 12, 31)})
    doc = data_shares.table(year, rows)
    if format == "json":
        return Response(orjson.dumps(doc), media_type="application/json")
    from services.api.render.csv_out import table_csv

    return Response(table_csv(data_shares.as_table(doc)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="hotline-{year}-data-shares.csv"'})
