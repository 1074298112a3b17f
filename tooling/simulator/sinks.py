"""Where simulated events go: the ingest service over HTTP, Kafka directly, or an NDJSON file.

Every sink is `send(events) -> SendResult` and `close()`. `send` blocks until every event it was
given is answered (HTTP: the ingest service's answer, which comes after the broker's ack; Kafka:
the broker's ack; file: written to the buffer), so a returned count is a fact, not a hope.
Re-sending is safe: the platform drops copies by (source, id), which is what makes the HTTP
sink's retry of a whole batch harmless. Sinks are used from one thread; HttpSink runs its own.
"""

from __future__ import annotations

import gzip
import random
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from hotline.cloudevents import BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE
from hotline.errors import HotlineError
from hotline.settings import KafkaSettings
from hotline.topics import route  # the platform's routing rule; also this module's public name

SINK_KINDS = ("http", "kafka", "file")
_MAX_REASONS = 64  # distinct labels per SendResult; the rest count as "other"
_ANSWERED = (200, 207, 422)  # every event judged: all accepted, some of each, all rejected


class SinkError(HotlineError):
    """A sink could not deliver: the message names the destination and the last cause."""


@dataclass
class SendResult:
    """`reasons`: rejected events' violations as "path: rule" labels (indexes folded, so the
    label set stays small), one count per violation."""

    accepted: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, other: SendResult) -> None:
        self.accepted += other.accepted
        self.rejected += other.rejected
        for label, n in other.reasons.items():
            self.reasons[_bounded(self.reasons, label)] += n


class Sink(Protocol):
    def send(self, events: list[dict]) -> SendResult: ...

    def close(self) -> None: ...


class HttpSink:
    """POSTs batches to `{url}/v1/events` (batch mode), `concurrency` batches in flight, each
    worker thread on its own keep-alive connection. A batch answered 503, 429, 408 or other 5xx,
    or lost to a connection error or timeout, is re-sent whole with exponential backoff (at least
    the server's Retry-After) up to `retries` attempts, then SinkError. 413 splits the batch in
    two. Other statuses (400, 401, 403, 415) are the caller's mistake: SinkError at once."""

    def __init__(
        self, url: str, token: str, batch_size: int = 500, concurrency: int = 4, timeout_s: float = 30,
        retries: int = 8, *, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SinkError(f"ingest URL {url!r}: must be http://host[:port] or https://host[:port]")
        if batch_size < 1 or concurrency < 1 or retries < 1:
            raise SinkError("http sink: batch_size, concurrency and retries must be at least 1")
        self.endpoint = url.rstrip("/") + "/v1/events"
        self._path = parts.path.rstrip("/") + "/v1/events"
        cls = HTTPSConnection if parts.scheme == "https" else HTTPConnection
        self._connect = lambda: cls(parts.hostname, parts.port, timeout=timeout_s)
        self._headers = {"Content-Type": BATCH_MEDIA_TYPE, "Accept": "application/json",
                         "Authorization": f"Bearer {token}"}
        self.batch_size, self.retries = batch_size, retries
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="hotline-http-sink")
        self._local = threading.local()
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def send(self, events: list[dict]) -> SendResult:
        futures = [self._pool.submit(self._post, events[i:i + self.batch_size])
                   for i in range(0, len(events), self.batch_size)]
        for f in wait(futures, return_when=FIRST_EXCEPTION).not_done:
            f.cancel()  # a batch gave up: start no more; those in flight finish below
        wait(futures)
        result = SendResult()
        for f in futures:
            if not f.cancelled():
                result.add(f.result())  # re-raises the first failed batch's SinkError
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()

    def _post(self, batch: list[dict]) -> SendResult:
        body = orjson.dumps(batch)
        delay, last = self._backoff_s, ""
        for attempt in range(1, self.retries + 1):
            retry_after = 0.0
            try:
                status, headers, payload = self._request(body)
            except (OSError, HTTPException) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if status in _ANSWERED:
                    return self._answer(status, payload, len(batch))
                if status == 413 and len(batch) > 1:
                    half = len(batch) // 2
                    result = self._post(batch[:half])
                    result.add(self._post(batch[half:]))
                    return result
                last = f"HTTP {status} {_detail(payload)}"
                if not (status in (408, 429) or status >= 500):
                    raise SinkError(f"{self.endpoint}: {last}")
                retry_after = _seconds(headers.get("retry-after"))
            if attempt < self.retries:
                # Jitter, so threads that failed together do not come back together.
                time.sleep(min(self._max_backoff_s, max(retry_after, delay * random.uniform(0.5, 1.0))))
                delay = min(delay * 2, self._max_backoff_s)
        raise SinkError(f"{self.endpoint}: gave up after {self.retries} attempts; last: {last}")

    def _request(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = self._connection()
        reused = conn.sock is not None
        try:
            return self._exchange(conn, body)
        except (ConnectionError, HTTPException):
            if not reused:
                raise
        # The server had closed an idle keep-alive connection: not a failure, so not an attempt.
        return self._exchange(conn, body)

    def _exchange(self, conn: HTTPConnection, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            conn.request("POST", self._path, body=body, headers=self._headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, HTTPException):
            conn.close()  # mid-exchange (a timeout, a reset): the next request opens a new one
            raise
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def _connection(self) -> HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._lock:
                self._conns.append(conn)
        return conn

    def _answer(self, status: int, payload: bytes, sent: int) -> SendResult:
        try:
            doc = orjson.loads(payload)
            result = SendResult(int(doc["accepted"]), int(doc["rejected"]))
            for r in doc["results"]:
                if r.get("status") == "rejected":
                    for error in r.get("errors") or ():
                        result.reasons[_bounded(result.reasons, _label(error))] += 1
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise SinkError(f"{self.endpoint}: HTTP {status}, but the body is not an ingest answer") from None
        if result.accepted + result.rejected != sent:
            raise SinkError(f"{self.endpoint}: answered {result.accepted + result.rejected} events of {sent} sent")
        return result


class KafkaSink:
    """Publishes straight to the event topics (as a producer bypassing ingest would): topic and
    key by the platform's rule (hotline.topics.route), value = the event as JSON. `send` blocks
    until the broker acknowledged every event (acks=all). Malformed events go out too, so the
    aggregate dead-letters them."""

    def __init__(self, kafka: KafkaSettings, *, timeout_s: float = 60) -> None:
        self._kafka, self._timeout_s = kafka, timeout_s
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=kafka.bootstrap_servers, client_id="hotline-simulator", acks="all",
                linger_ms=20, batch_size=1024 * 1024, compression_type=None,
            )
        except (KafkaError, OSError) as exc:
            raise SinkError(f"broker at {kafka.bootstrap_servers}: {type(exc).__name__}: {exc}") from exc

    def send(self, events: list[dict]) -> SendResult:
        try:
            futures = []
            for event in events:
                topic, key = route(event, self._kafka)
                futures.append(self._producer.send(topic, key=key, value=orjson.dumps(event), headers=_HEADERS))
            self._producer.flush(timeout=self._timeout_s)
        except KafkaError as exc:
            raise SinkError(f"broker at {self._kafka.bootstrap_servers}: {type(exc).__name__}: {exc}") from exc
        failed = [f.exception for f in futures if f.failed()]
        if failed:
            raise SinkError(f"broker at {self._kafka.bootstrap_servers}: {len(failed)} of {len(events)} "
                            f"events not acknowledged; first: {failed[0]!r}")
        return SendResult(accepted=len(events))

    def close(self) -> None:
        self._producer.flush(timeout=self._timeout_s)
        self._producer.close(timeout=self._timeout_s)


_HEADERS = [("content-type", f"{STRUCTURED_MEDIA_TYPE}; charset=utf-8".encode())]


class FileSink:
    """NDJSON, one event per line; gzip when the name ends with .gz; "-" is stdout. Blocks on
    the write only; `close` flushes (and closes the file, not stdout)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._own = self.path != "-"
        try:
            if not self._own:
                self._out: BinaryIO = sys.stdout.buffer
            elif self.path.endswith(".gz"):
                self._out = gzip.open(self.path, "wb", compresslevel=6)  # type: ignore[assignment]
            else:
                self._out = open(self.path, "wb")
        except OSError as exc:
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def send(self, events: list[dict]) -> SendResult:
        try:
            self._out.write(b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events))
        except OSError as exc:  # a full disk, a closed pipe
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        return SendResult(accepted=len(events))

    def close(self) -> None:
        if self._own:
            self._out.close()
        else:
            self._out.flush()


def open_sink(
    kind: str, *, url: str | None = None, token: str | None = None, kafka: KafkaSettings | None = None,
    path: Path | str | None = None, batch_size: int = 500, concurrency: int = 4,
) -> Sink:
    """The sink the CLI asked for; SinkError for an unknown kind or a missing option."""
    if kind == "http":
        if not url or not token:
            raise SinkError("the http sink needs the ingest URL and a token")
        return HttpSink(url, token, batch_size=batch_size, concurrency=concurrency)
    if kind == "kafka":
        return KafkaSink(kafka or KafkaSettings())
    if kind == "file":
        if path is None or str(path) == "":
            raise SinkError('the file sink needs a path ("-" for stdout)')
        return FileSink(path)
    raise SinkError(f"unknown sink {kind!r}; known: {', '.join(SINK_KINDS)}")


def _label(error: object) -> str:
    if not isinstance(error, dict):
        return "(unreadable reason)"
    path = re.sub(r"\[\d+\]", "[]", str(error.get("path") or "(event)"))
    return f"{path}: {error.get('rule', '')}"[:160]


def _bounded(reasons: Counter[str], label: str) -> str:
    return label if label in reasons or len(reasons) < _MAX_REASONS else "other"


def _detail(payload: bytes) -> str:
    """The problem document's detail (the ingest service never echoes a value in it)."""
    try:
        return str(orjson.loads(payload).get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        return payload[:200].decode("utf-8", "replace")


def _seconds(value: str | None) -> float:
    # An HTTP-date Retry-After is not worth parsing here: our own backoff applies instead.
    return float(value) if value and value.isdigit() else 0.0
