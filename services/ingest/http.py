"""The HTTP protocol `hotline up` runs the ingest service with (`uvicorn --http
services.ingest.http:IngestHttp`): uvicorn's, with a deadline for receiving a request
and a size limit for its headers (HOTLINE_INGEST_READ_TIMEOUT_S, HOTLINE_INGEST_MAX_HEADER_BYTES;
hotline.web.slow_clients says why)."""

from __future__ import annotations

from functools import cache

from hotline.web.slow_clients import ReadDeadline
from services.ingest.settings import IngestSettings


class IngestHttp(ReadDeadline):
    @classmethod
    def read_timeout(cls) -> float:
        return _settings().read_timeout_s

    @classmethod
    def max_header_bytes(cls) -> int:
        return _settings().max_header_bytes


@cache
def _settings() -> IngestSettings:
    return IngestSettings()
