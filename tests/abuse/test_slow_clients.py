"""Slow-loris: clients that connect and send nothing, trickle their headers, or trickle their body
are cut off with a 408 after the service's read timeout (5 s on the abuse stack, see conftest),
and while dozens of them hang on, other clients are served as fast as ever.

Before services/*/http.py (uvicorn's own protocol) such connections stayed open as long as the
client kept trickling: still open after 25 s of one byte a second, on both services.
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest

from tests.support.abuse import AUTH, READ_TIMEOUT_S, STRUCTURED, TRIED, client, event
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

SLACK_S = 3.0  # timer granularity, a busy 2-core machine
HEAD = {
    "ingest": (b"POST /v1/events HTTP/1.1\r\nhost: abuse\r\nauthorization: Bearer dev-token\r\n"
               b"content-type: application/cloudevents+json\r\n"),
    "api": (b"PUT /v1/reports/annual/2099/supplied HTTP/1.1\r\nhost: abuse\r\n"
            b"authorization: Bearer dev-token\r\ncontent-type: application/json\r\n"),
}


def trickle(port: int, first: bytes, drip: bytes, every_s: float = 0.5, give_up_s: float = 30,
            started: list | None = None) -> tuple[float, bytes]:
    """Send `first`, then `drip` every `every_s` until the server closes the connection (the
    slow client itself: its pace is the thing under test). Appends to `started` once connected and
    `first` is sent. Returns (seconds until closed, what the server answered)."""
    TRIED[f"port {port}: slow clients"] += 1
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=give_up_s) as s:
        start = time.monotonic()
        if first:
            s.sendall(first)
        if started is not None:
            started.append(port)
        s.settimeout(every_s)
        while time.monotonic() - start < give_up_s:
            try:
                chunk = s.recv(65536)
                if not chunk:
                    return time.monotonic() - start, answer
                answer += chunk
            except socket.timeout:
                if drip:
                    try:
                        s.sendall(drip)
                    except OSError:  # reset: closed by the server
                        return time.monotonic() - start, answer
            except ConnectionResetError:
                return time.monotonic() - start, answer
    raise AssertionError(f"still open after {give_up_s} s; answered {answer[:200]!r}")


CASES = {
    "silent": (b"", b""),
    "headers": (b"POST /v1/events HTTP/1.1\r\n", b"x-slow: 1\r\n"),
    "body": (None, b"{"),
    "chunked": (None, b"1\r\n{\r\n"),
}


def _first(service: str, case: str) -> bytes:
    first, _ = CASES[case]
    if first is not None:
        return first
    framing = b"content-length: 100000\r\n" if case == "body" else b"transfer-encoding: chunked\r\n"
    return HEAD[service] + framing + b"\r\n"


def test_slow_clients_are_cut_off_with_408_and_do_not_block_the_others(abuse_stack):
    """Each kind of slow client 5 times on each service (40 connections at once); meanwhile 20
    events are posted one by one and a report table read, every answer in under a second. Each
    slow connection gets its 408 problem after the timeout (not before), and is closed."""
    slow = [(s, c) for s in ("ingest", "api") for c in CASES] * 5
    run = f"slow{int(time.time())}"
    # The table read below must be of days the platform holds (else a 404 no-data): a call of
    # 2024 is folded first, whichever abuse modules ran before.
    with client(abuse_stack, "ingest", 10) as ingest, client(abuse_stack, "api", 10) as api:
        r = ingest.post("/v1/events", content=orjson.dumps(event(run, "first")),
                        headers={**AUTH, "content-type": STRUCTURED})
        assert r.status_code == 200, r.text
        eventually(lambda: api.get("/v1/reports/annual/2024/tables/calls", headers=AUTH).status_code,
                   until=lambda status: status == 200, timeout_s=60, what="a report table of 2024 answered")
    timings: list[float] = []
    started: list[int] = []
    with ThreadPoolExecutor(len(slow)) as pool:
        futures = [pool.submit(trickle, abuse_stack.port(s), _first(s, c), CASES[c][1], started=started)
                   for s, c in slow]
        eventually(lambda: len(started), until=lambda n: n == len(slow), timeout_s=10, interval_s=0.05,
                   what=f"all {len(slow)} slow clients connected and sending")
        with client(abuse_stack, "ingest", 10) as ingest, client(abuse_stack, "api", 10) as api:
            for i in range(20):
                start = time.monotonic()
                r = ingest.post("/v1/events", content=orjson.dumps(event(run, i)),
                                headers={**AUTH, "content-type": STRUCTURED})
                assert r.status_code == 200, r.text
                r = api.get("/v1/reports/annual/2024/tables/calls", headers=AUTH)
                assert r.status_code == 200, r.text
                timings.append(time.monotonic() - start)
        cut = {(s, c, i): f.result() for i, ((s, c), f) in enumerate(zip(slow, futures))}
    assert max(timings) < 1.0, timings
    for (service, case, _), (took, answer) in cut.items():
        assert READ_TIMEOUT_S - 0.5 <= took <= READ_TIMEOUT_S + SLACK_S, (service, case, took)
        assert answer.startswith(b"HTTP/1.1 408 "), (service, case, answer[:200])
        problem = orjson.loads(answer.partition(b"\r\n\r\n")[2])
        assert problem["type"] == "urn:hotline:problem:request-timeout" and problem["status"] == 408
    abuse_stack.assert_responsive()


def test_a_kept_alive_connection_is_timed_per_request(abuse_stack):
    """Two requests on one connection, 0.6 × the timeout apart: the second is answered (the
    clock restarts with each request's first byte; idle time between requests is uvicorn's
    keep-alive, 5 s)."""
    with socket.create_connection(("127.0.0.1", abuse_stack.port("ingest")), timeout=10) as s:
        for _ in range(2):
            s.sendall(b"GET /healthz HTTP/1.1\r\nhost: abuse\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):  # head and body may come in two reads
                chunk = s.recv(65536)
                assert chunk, f"closed after {answer!r}"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ")
            # The idle gap between two requests is what is under test: a wait for time on purpose.
            time.sleep(min(0.6 * READ_TIMEOUT_S, 4.0))


def test_a_slow_but_steady_upload_within_the_timeout_is_accepted(abuse_stack):
    body = orjson.dumps(event(f"steady{int(time.time())}", 1))
    head = HEAD["ingest"] + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
    parts = [body[i:i + 16] for i in range(0, len(body), 16)]
    pause = (READ_TIMEOUT_S * 0.5) / len(parts)
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", abuse_stack.port("ingest")), timeout=READ_TIMEOUT_S + 5) as s:
        s.sendall(head)
        for part in parts:
            stop.wait(pause)  # the slow upload itself (under test): half the read timeout in all
            s.sendall(part)
        assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
