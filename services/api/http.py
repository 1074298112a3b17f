"""The HTTP protocol `hotline up` runs the query API with (`uvicorn --http
services.api.http:ApiHttp`): uvicorn's, with a deadline for receiving a request
(HOTLINE_API_READ_TIMEOUT_S; hotline.web.slow_clients says why)."""

from __future__ import annotations

from functools import cache

from hotline.web.slow_clients import ReadDeadline
from services.api.settings import ApiSettings


class ApiHttp(ReadDeadline):
    @classmethod
    def read_timeout(cls) -> float:
        return _read_timeout_s()


@cache
def _read_timeout_s() -> float:
    return ApiSettings().read_timeout_s
