"""Bodies are read up to a limit, refused from Content-Length before reading, or while streaming."""

import asyncio

import pytest
from starlette.requests import Request

from hotline.web.body import BadContentLength, BodyTooLarge, read_limited


def request(chunks: list[bytes], content_length: str | None = None) -> tuple[Request, list[int]]:
    headers = [] if content_length is None else [(b"content-length", content_length.encode())]
    pending = list(chunks)
    read: list[int] = []

    async def receive():
        chunk = pending.pop(0) if pending else b""
        read.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive), read


def test_a_body_within_the_limit_is_read_whole():
    r, _ = request([b"abc", b"def"])
    assert asyncio.run(read_limited(r, 6)) == b"abcdef"


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    r, read = request([b"x" * 10], content_length="10")
    with pytest.raises(BodyTooLarge) as e:
        asyncio.run(read_limited(r, 9))
    assert e.value.limit == 9 and read == []


def test_a_stream_over_the_limit_is_refused_at_the_chunk_that_passes_it():
    r, read = request([b"x" * 4, b"x" * 4, b"x" * 4, b"x" * 4])
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_limited(r, 9))
    assert read == [4, 4, 4]  # the fourth chunk is never asked for


def test_a_content_length_that_is_not_a_number_is_refused():
    r, _ = request([b"x"], content_length="1e3")
    with pytest.raises(BadContentLength):
        asyncio.run(read_limited(r, 100))
