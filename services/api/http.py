"""The HTTP protocol `hotline up` runs the query API with (`uvicorn --http
services.api.http:ApiHttp`): uvicorn's, with a deadline for receiving a request
and a size limit for its headers (HOTLINE_API_READ_TIMEOUT_S, MAX_HEADER_BYTES;
hotline.web.slow_clients says why)."""

from __future__ import annotations

from functools import cache

from hotline.web.slow_clients import ReadDeadline
from services.api.settings import ApiSettings

# A report request is a URL, a token and a few headers; a browser's cookies fit in 64 KiB too.
MAX_HEADER_BYTES = 64 * 1024


class ApiHttp(ReadDeadline):
    @classmethod
    def read_timeout(cls) -> float:
        return _read_timeout_s()

    @classmethod
    def max_header_bytes(cls) -> int:
        return MAX_HEADER_BYTES


@cache
def _read_timeout_s() -> float:
    return ApiSettings().read_timeout_s
