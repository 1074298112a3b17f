"""The read deadline and header limit of the services' HTTP protocol (hotline/web/slow_clients.py):
the answers it writes itself, and that `hotline up` runs both services with it. The behaviour on
real sockets is tested in tests/abuse/test_slow_clients.py and test_*_inputs.py."""

from __future__ import annotations

import importlib

import orjson

from tooling.stack.services import SERVICES
from hotline.web.slow_clients import ReadDeadline, headers_too_large_answer, timeout_answer


def _split(answer: bytes) -> tuple[list[bytes], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(x.split(b":")[1]) for x in lines if x.startswith(b"content-length:"))
    assert length == len(body)
    return lines, orjson.loads(body)


def test_the_408_answer_is_a_problem_and_closes_the_connection():
    lines, problem = _split(timeout_answer(30))
    assert lines[0] == b"HTTP/1.1 408 Request Timeout" and b"connection: close" in lines
    assert problem["status"] == 408 and problem["type"] == "urn:hotline:problem:request-timeout"
    assert "30 s" in problem["detail"]


def test_the_431_answer_names_the_limit():
    lines, problem = _split(headers_too_large_answer(65536))
    assert lines[0] == b"HTTP/1.1 431 Request Header Fields Too Large" and b"connection: close" in lines
    assert problem["limit"] == 65536 and problem["status"] == 431


def test_hotline_up_runs_both_http_services_with_the_limits(monkeypatch):
    for name in ("HOTLINE_INGEST_READ_TIMEOUT_S", "HOTLINE_API_READ_TIMEOUT_S", "HOTLINE_INGEST_MAX_HEADER_BYTES"):
        monkeypatch.delenv(name, raising=False)
    expected = {"ingest": (30.0, 1024 * 1024), "api": (30.0, 64 * 1024)}
    for spec in SERVICES:
        if spec.name not in expected:
            continue
        command = list(spec.command)
        module, _, cls = command[command.index("--http") + 1].partition(":")
        protocol = getattr(importlib.import_module(module), cls)
        assert issubclass(protocol, ReadDeadline)
        assert (protocol.read_timeout(), protocol.max_header_bytes()) == expected[spec.name]
