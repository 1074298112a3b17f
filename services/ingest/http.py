"""The HTTP protocol `hotline up` runs the ingest service with (`uvicorn --http
services.ingest.http:IngestHttp`): uvicorn's, with a deadline for receiving a request
(HOTLINE_INGEST_READ_TIMEOUT_S; hotline.web.slow_clients says why)."""

from __future__ import annotations

from functools import cache

from hotline.web.slow_clients import ReadDeadline
from services.ingest.settings import IngestSettings


class IngestHttp(ReadDeadline):
    @classmethod
    def read_timeout(cls) -> float:
        return _read_timeout_s()


@cache
def _read_timeout_s() -> float:
    return IngestSettings().read_timeout_s
