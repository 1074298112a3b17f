"""Reading a request body under a size limit, for every service that takes one.

The body is refused as soon as it is known to exceed the limit: from Content-Length before any
of it is read, else while it streams in, so an oversized request never costs more than `limit`
bytes of memory. The caller turns the typed errors into its own problem answers (413, 400).
"""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


class BadContentLength(Exception):
    """Content-Length is not a number."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body; raises BodyTooLarge past `limit` bytes, BadContentLength for a header
    that is not a number."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadContentLength()
        if int(declared) > limit:
            raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
