"""Limits uvicorn's HTTP protocol lacks: a request must arrive whole in bounded time, and its
header section must be of bounded size.

uvicorn has no such limit: a client that opens a connection and sends nothing, trickles its
header lines, or trickles its body a byte at a time (slow-loris) holds a connection, a parser and
the app's half-read request for as long as it likes; only the idle time *between* requests is
bounded (`--timeout-keep-alive`). An ASGI middleware cannot help with headers (the app only sees
a request once its headers are complete), hence a protocol class: `uvicorn --http
module:Class`, one subclass per service naming the service's own setting (`read_timeout()`).

The clock starts when the connection is made (for its first request) or when a request's first
byte arrives (later requests on a kept-alive connection), and stops when the request's last
body byte arrived. When it runs out: a 408 problem answer with `Connection: close` if the app has
not started an answer yet, and the connection is closed. An app still waiting for the body then
receives `http.disconnect` (Starlette's ClientDisconnect), as when a client hangs up. The time an
app takes to answer a complete request is not limited here.

Nor does uvicorn (with httptools) bound the header section: 32 MB of header lines were read,
buffered and handed to the app. Beyond `max_header_bytes()` the answer is a 431 problem and the
connection is closed before the parser sees more. The count is of bytes received from a
request's start up to the blank line that ends its headers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROBLEM_TYPE = "urn:hotline:problem:request-timeout"
HEADERS_PROBLEM_TYPE = "urn:hotline:problem:headers-too-large"


def timeout_answer(seconds: float) -> bytes:
    """The whole HTTP/1.1 408 answer (an RFC 9457 problem), written straight to the socket."""
    return _answer(b"408 Request Timeout", {
        "type": PROBLEM_TYPE, "title": "The request did not arrive in time", "status": 408,
        "detail": f"the request (headers and body) must arrive within {seconds:g} s of its first byte",
    })


def headers_too_large_answer(limit: int) -> bytes:
    return _answer(b"431 Request Header Fields Too Large", {
        "type": HEADERS_PROBLEM_TYPE, "title": "The request's header section is too large", "status": 431,
        "detail": f"the request line and headers must not exceed {limit} bytes", "limit": limit,
    })


def _answer(status: bytes, problem: dict[str, Any]) -> bytes:
    body = orjson.dumps(problem)
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/problem+json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


class ReadDeadline(HttpToolsProtocol):
    """HttpToolsProtocol with a deadline for receiving each request and a size limit for its
    header section. Subclasses define `read_timeout()` (seconds) and `max_header_bytes()`,
    read from their service's settings once."""

    @classmethod
    def read_timeout(cls) -> float:
        raise NotImplementedError

    @classmethod
    def max_header_bytes(cls) -> int:
        raise NotImplementedError

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._read_timeout_s = self.read_timeout()
        self._max_head = self.max_header_bytes()
        self._in_head = True  # receiving a request line and headers
        self._head_bytes = 0
        self._tail = b""  # the last bytes received, for a blank line split across reads

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            # Count up to the blank line that ends the headers: body bytes in the same read are
            # not header bytes.
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
            self._tail = seen[-3:]
            if self._head_bytes > self._max_head:
                self._in_head = False
                if not self.transport.is_closing():
                    self.transport.write(headers_too_large_answer(self._max_head))
                    self.transport.close()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head, self._head_bytes, self._tail = True, 0, b""
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self._read_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            # Nobody is answering this request (its headers may not even be complete).
            self.transport.write(timeout_answer(self._read_timeout_s))
        self.transport.close()
