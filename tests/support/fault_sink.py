"""The producer of the fault suite: the simulator's own HttpSink, recording what the ingest
service told it (every event answered "accepted", by source and id) and how often it had to
retry; and a sink in front of it that paces the stream and fires scheduled faults at chosen
points of it."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException

import orjson

from tooling.simulator.sinks import HttpSink, SendResult


class RecordingHttpSink(HttpSink):
    """HttpSink that keeps the (source, id) of every event an answer called accepted, and counts
    its exchanges: `attempts`, `timeouts`, `connection_errors` (refused, reset, cut mid-answer),
    `http_<status>`, and `error_<exception class>` for every failed exchange (a request cut in
    flight shows as RemoteDisconnected or ConnectionResetError, a server that is down as
    ConnectionRefusedError)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accepted_ids: set[tuple[str, str]] = set()
        self.counts: Counter[str] = Counter()
        self._record = threading.Lock()
        self._in_flight = 0
        self._sending = threading.Condition(self._record)

    def wait_in_flight(self, timeout_s: float) -> bool:
        """Block until a request has been sent and not yet answered; False after `timeout_s`."""
        with self._sending:
            return self._sending.wait_for(lambda: self._in_flight > 0, timeout_s)

    def _exchange(self, conn, body: bytes) -> tuple[int, dict[str, str], bytes]:
        # Counted per exchange, below HttpSink's silent second try on a reused connection, so a
        # request cut in flight shows even when that second try is what fails or succeeds.
        with self._sending:
            self.counts["attempts"] += 1
            self._in_flight += 1
            self._sending.notify_all()
        try:
            status, headers, payload = super()._exchange(conn, body)
        except (TimeoutError, socket.timeout) as exc:
            self._count("timeouts", exc)
            raise
        except (OSError, HTTPException) as exc:
            self._count("connection_errors", exc)
            raise
        finally:
            with self._record:
                self._in_flight -= 1
        with self._record:
            self.counts[f"http_{status}"] += 1
        return status, headers, payload

    def _count(self, what: str, exc: BaseException) -> None:
        with self._record:
            self.counts[what] += 1
            self.counts[f"error_{type(exc).__name__}"] += 1

    def _answer(self, status: int, payload: bytes, sent: int) -> SendResult:
        result = super()._answer(status, payload, sent)
        ids = [(r["source"], r["id"]) for r in orjson.loads(payload)["results"] if r.get("status") == "accepted"]
        with self._record:
            self.accepted_ids.update(ids)
        return result


@dataclass
class Fault:
    """A fault to fire when `at` (a fraction) of the run's events have been handed to the sink."""

    at: float
    kind: str
    action: Callable[[], dict]  # runs in its own thread, while the stream goes on; returns what it observed


@dataclass
class Fired:
    kind: str
    at_event: int
    started_s: float
    ended_s: float = 0.0
    observed: dict = field(default_factory=dict)


class FaultingSink:
    """Sends through `inner`, spreading the stream over about `duration_s` wall seconds, and
    starts each fault's action in a thread at its point of the stream. `close` waits for every
    action to finish (the stack is whole again before the run is judged)."""

    def __init__(self, inner: RecordingHttpSink, total: int, faults: list[Fault], duration_s: float):
        self.inner, self.total, self.duration_s = inner, total, duration_s
        self.pending = sorted(faults, key=lambda f: f.at)
        self.fired: list[Fired] = []
        self.sent = 0
        self._threads: list[threading.Thread] = []
        self._t0: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self._t0 if self._t0 is not None else 0.0

    def send(self, events: list[dict]) -> SendResult:
        if self._t0 is None:
            self._t0 = time.monotonic()
        due = self._t0 + self.duration_s * self.sent / self.total
        time.sleep(max(0.0, due - time.monotonic()))
        while self.pending and self.pending[0].at * self.total <= self.sent:
            self._fire(self.pending.pop(0))
        result = self.inner.send(events)
        self.sent += len(events)
        return result

    def _fire(self, fault: Fault) -> None:
        record = Fired(fault.kind, self.sent, round(self.elapsed(), 2))
        self.fired.append(record)

        def run() -> None:
            record.observed = fault.action()
            record.ended_s = round(self.elapsed(), 2)

        t = threading.Thread(target=run, name=f"fault-{fault.kind}", daemon=True)
        t.start()
        self._threads.append(t)

    def close(self) -> None:
        for t in self._threads:
            t.join()
        self.inner.close()
