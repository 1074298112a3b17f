"""Helpers of the abuse suite (tests/abuse): the stack it runs against, raw HTTP for the requests
an HTTP client library refuses to send, process memory, and reading back what got through.

Every request has a time limit: a hang is a failure, not a stuck suite.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from hotline.settings import ClickHouseSettings, KafkaSettings

SLOW = bool(os.environ.get("HOTLINE_ABUSE_SLOW"))  # the full suite: more examples, repeated rounds
TRIED: Counter[str] = Counter()  # requests sent, by kind: printed at the end of the session
READ_TIMEOUT_S = 5.0  # the abuse stack's read timeout of both services (tests/abuse/conftest.py)
MAX_BODY = 10 * 1024 * 1024  # the ingest service's default HOTLINE_INGEST_MAX_BODY_BYTES
MAX_BATCH = 10_000  # and HOTLINE_INGEST_MAX_BATCH_EVENTS
TOKEN = "dev-token"  # what `hotline up` accepts in development, on both services
AUTH = {"authorization": f"Bearer {TOKEN}"}
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
# SQL-looking strings for every parameter and field (quotes, comments, stacked queries, the
# ClickHouse format clause, backslashes, NUL).
SQL = [
    "' OR '1'='1", "2023' OR 1=1 --", "1; DROP TABLE hotline.events", "2023)) UNION ALL SELECT * FROM system.tables --",
    "\\'; SELECT sleep(3); --", "' FORMAT JSONEachRow", "1 /*", "%' AND ''='", '"; DROP DATABASE hotline; --',
    "\\N", "x\x00y", "{database}.events", "${database}", "`events`",
]


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    state_dir: Path

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def port(self, service: str) -> int:
        return int(self.env[f"HOTLINE_{service.upper()}_PORT"])

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.env["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"])

    @property
    def clickhouse(self) -> ClickHouseSettings:
        return ClickHouseSettings(port=int(self.env["HOTLINE_CLICKHOUSE_PORT"]),
                                  http_port=int(self.env["HOTLINE_CLICKHOUSE_HTTP_PORT"]))

    def pid(self, service: str) -> int:
        return int(orjson.loads((self.state_dir / "run" / f"{service}.pid").read_bytes())["pid"])

    def rss_mb(self, service: str) -> float:
        """Resident memory of the service's process (uvicorn runs the app in it: no workers)."""
        return psutil.Process(self.pid(service)).memory_info().rss / 2**20

    def assert_responsive(self, within_s: float = 2.0) -> None:
        """Both HTTP services answer /healthz within `within_s` (nothing is stuck or blocked)."""
        for service in ("ingest", "api"):
            start = time.monotonic()
            with urllib.request.urlopen(self.url(service) + "/healthz", timeout=within_s) as r:
                assert r.status == 200
            took = time.monotonic() - start
            assert took < within_s, f"{service} took {took:.2f} s for /healthz"


def client(stack: Stack, service: str, timeout_s: float = 60) -> httpx.Client:
    def count(request: httpx.Request) -> None:
        TRIED[f"{service}: requests (httpx)"] += 1
    return httpx.Client(base_url=stack.url(service), timeout=timeout_s, event_hooks={"request": [count]})


def raw_request(port: int, head: bytes, body: bytes = b"", timeout_s: float = 30) -> tuple[int, bytes, bytes]:
    """Send bytes as they are (any header bytes, any framing); (status, head, body) of the
    answer, read until the server closes or the answer's Content-Length is complete."""
    TRIED[f"port {port}: raw requests"] += 1
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        answer_head, _, rest = data.partition(b"\r\n\r\n")
        length = _content_length(answer_head)
        while length is not None and len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
    if not answer_head.startswith(b"HTTP/1.1 "):
        raise AssertionError(f"no HTTP answer: {data[:200]!r}")
    return int(answer_head[9:12]), answer_head, rest


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def post_head(path: str, headers: dict[str, str | bytes], length: int | None) -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"host: abuse", b"connection: close"]
    for name, value in headers.items():
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    if length is not None:
        lines.append(b"content-length: " + str(length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def event(run: str, n: int | str, event_type: str = "hotline.call.offered", **attrs: Any) -> dict[str, Any]:
    """A valid event of this run (the marker is in id and subject)."""
    e: dict[str, Any] = {
        "specversion": "1.0", "id": f"{run}-{n}", "source": "/abuse/pbx", "type": event_type,
        "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{run}-{n}",
        "data": {"direction": "inbound"} if event_type == "hotline.call.offered" else {},
    }
    e.update(attrs)
    return e


def sql_events(run: str) -> list[dict[str, Any]]:
    """One event per SQL-looking string, the string in its source, subject, data (as a key and a
    value) and an extension attribute (NUL left out where the contract refuses control characters)."""
    events = []
    for i, text in enumerate(SQL):
        clean = text.replace("\x00", "")
        events.append(event(run, f"sql-{i}", subject=f"call-{run}-{clean}", source=f"/abuse/{clean}",
                            data={"direction": "inbound", "note": text, text: clean}, sqlnote=clean))
    return events


def dumps_deep(e: dict[str, Any], depth: int) -> bytes:
    """`e` as JSON with `depth` levels of arrays in data.deep (orjson writes at most 254 levels:
    the deep part is spliced in as text)."""
    text = orjson.dumps({**e, "data": {"direction": "inbound", "deep": "@@"}})
    return text.replace(b'"@@"', b"[" * depth + b"1" + b"]" * depth)


def nested(depth: int, leaf: Any = 1) -> Any:
    """`depth` levels of arrays around `leaf`, built without recursion."""
    out = leaf
    for _ in range(depth):
        out = [out]
    return out


def nested_text(depth: int) -> bytes:
    """The JSON text of `depth` nested objects (deeper than any JSON encoder writes)."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def event_of_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `hotline.events` row back as a CloudEvent (the attributes the table keeps)."""
    time_s = dt.datetime.fromtimestamp(row["time_ms"] / 1000, dt.timezone.utc)
    return {"specversion": "1.0", "id": row["id"], "source": row["source"], "type": row["type"],
            "subject": row["subject"], "time": time_s.isoformat().replace("+00:00", "Z"),
            "data": orjson.loads(row["data"]), **orjson.loads(row["extensions"])}
