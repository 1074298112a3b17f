"""tooling.simulator.sinks: the file sink's NDJSON, the HTTP sink against a real HTTP server in a
thread that answers like the ingest service, and the Kafka sink's routing."""

from __future__ import annotations

import gzip
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from hotline.errors import HotlineError
from hotline.settings import KafkaSettings
from tooling.simulator.sinks import FileSink, HttpSink, SendResult, SinkError, open_sink, route

TOKEN = "sim-token"


def ev(i: int, **attrs) -> dict:
    e = {"specversion": "1.0", "id": f"e{i}", "source": "/pbx/main", "type": "hotline.call.offered",
         "time": "2023-03-01T08:00:00+08:00", "subject": f"c{i}", "data": {"direction": "inbound", "n": "号"}}
    e.update(attrs)
    return e


class FakeIngest:
    """POST /v1/events answered like services/ingest: per-event results, 200/207/422; an event
    without `subject` is rejected. `plan` lists statuses to answer first, one per request
    ("drop" = answer normally, then close the connection without saying so)."""

    def __init__(self, plan: list[int | str] | None = None, max_events: int | None = None) -> None:
        self.plan = list(plan or [])
        self.max_events = max_events
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive
            disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                events = orjson.loads(body)
                with outer.lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers), "events": events,
                                           "client": self.client_address})
                    step = outer.plan.pop(0) if outer.plan else None
                if isinstance(step, int):
                    self.answer(step, {"type": "urn:hotline:problem:x", "title": "t", "status": step,
                                       "detail": f"planned {step}"}, {"Retry-After": "0"})
                    return
                if outer.max_events is not None and len(events) > outer.max_events:
                    self.answer(413, {"title": "too large", "status": 413, "detail": "split the batch"})
                    return
                results, accepted = [], 0
                for i, e in enumerate(events):
                    if "subject" in e:
                        accepted += 1
                        results.append({"index": i, "id": e["id"], "source": e["source"], "status": "accepted"})
                    else:
                        results.append({"index": i, "id": e["id"], "source": e["source"], "status": "rejected",
                                        "errors": [{"path": "subject", "rule": "is required"}]})
                rejected = len(events) - accepted
                status = 200 if rejected == 0 else 207 if accepted else 422
                self.answer(status, {"accepted": accepted, "rejected": rejected, "results": results})
                if step == "drop":
                    self.close_connection = True

            def answer(self, status: int, doc: dict, headers: dict | None = None) -> None:
                payload = orjson.dumps(doc)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeIngest:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def sink(server: FakeIngest, **kw) -> HttpSink:
    return HttpSink(server.url, TOKEN, **{"backoff_s": 0.01, **kw})


def test_file_sink_round_trip(tmp_path):
    events = [ev(i) for i in range(3)]
    for name in ("out.ndjson", "out.ndjson.gz"):
        s = FileSink(tmp_path / name)
        assert s.send(events[:2]) == SendResult(2, 0, Counter())
        assert s.send(events[2:]) == SendResult(1, 0, Counter())
        s.close()
        raw = (tmp_path / name).read_bytes()
        if name.endswith(".gz"):
            assert raw[:2] == b"\x1f\x8b"
            raw = gzip.decompress(raw)
        lines = raw.split(b"\n")
        assert lines[-1] == b"" and len(lines) == 4
        assert [orjson.loads(line) for line in lines[:-1]] == events


def test_file_sink_dash_is_stdout(capsysbinary):
    s = FileSink("-")
    s.send([ev(1)])
    s.close()
    assert orjson.loads(capsysbinary.readouterr().out) == ev(1)


def test_file_sink_unwritable_path(tmp_path):
    with pytest.raises(SinkError, match="no-such-dir"):
        FileSink(tmp_path / "no-such-dir" / "x.ndjson")


def test_http_accepted_batches_split_by_batch_size():
    with FakeIngest() as server:
        s = sink(server, batch_size=500, concurrency=2)
        result = s.send([ev(i) for i in range(1200)])
        s.close()
    assert result == SendResult(1200, 0, Counter())
    assert sorted(len(r["events"]) for r in server.requests) == [200, 500, 500]
    assert sorted(e["id"] for r in server.requests for e in r["events"]) == sorted(f"e{i}" for i in range(1200))
    first = server.requests[0]
    assert first["path"] == "/v1/events"
    assert first["headers"]["Content-Type"] == "application/cloudevents-batch+json"
    assert first["headers"]["Authorization"] == "Bearer sim-token"


def test_http_keeps_the_connection_alive():
    with FakeIngest() as server:
        s = sink(server, batch_size=10, concurrency=1)
        for _ in range(3):
            s.send([ev(i) for i in range(25)])
        s.close()
    assert len(server.requests) == 9
    assert len({r["client"] for r in server.requests}) == 1


def test_http_batch_with_rejected_events():
    no_subject = {k: v for k, v in ev(2).items() if k != "subject"}
    with FakeIngest() as server:
        s = sink(server)
        some = s.send([ev(1), no_subject, ev(3)])                    # answered 207
        all_rejected = s.send([no_subject, no_subject])               # answered 422
        s.close()
    assert some == SendResult(2, 1, Counter({"subject: is required": 1}))
    assert all_rejected == SendResult(0, 2, Counter({"subject: is required": 2}))


def test_http_retries_a_503_with_the_same_batch():
    with FakeIngest(plan=[503]) as server:
        s = sink(server)
        result = s.send([ev(1), ev(2)])
        s.close()
    assert result == SendResult(2, 0, Counter())
    assert len(server.requests) == 2
    assert server.requests[0]["events"] == server.requests[1]["events"]


def test_http_always_503_gives_up_after_the_retries():
    with FakeIngest(plan=[503] * 10) as server:
        s = sink(server, retries=3)
        with pytest.raises(SinkError) as info:
            s.send([ev(1)])
        s.close()
    assert isinstance(info.value, HotlineError)
    assert str(info.value) == f"{server.url}/v1/events: gave up after 3 attempts; last: HTTP 503 planned 503"
    assert len(server.requests) == 3


def test_http_401_is_not_retried():
    with FakeIngest(plan=[401]) as server:
        s = sink(server)
        with pytest.raises(SinkError, match="HTTP 401 planned 401"):
            s.send([ev(1)])
        s.close()
    assert len(server.requests) == 1


def test_http_413_splits_the_batch():
    with FakeIngest(max_events=2) as server:
        s = sink(server, batch_size=5)
        result = s.send([ev(i) for i in range(5)])
        s.close()
    assert result == SendResult(5, 0, Counter())
    # 5 -> 413 -> 2 + 3; 3 -> 413 -> 1 + 2
    assert [len(r["events"]) for r in server.requests] == [5, 2, 3, 1, 2]


def test_http_reconnects_when_the_server_closed_the_idle_connection():
    with FakeIngest(plan=["drop"]) as server:
        s = sink(server, retries=1)  # one attempt only: the reconnect must not count as one
        assert s.send([ev(1)]) == SendResult(1, 0, Counter())
        assert s.send([ev(2)]) == SendResult(1, 0, Counter())
        s.close()
    assert len(server.requests) == 2
    assert len({r["client"] for r in server.requests}) == 2


def test_http_connection_refused_gives_up_naming_the_cause():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = HttpSink(f"http://127.0.0.1:{port}", TOKEN, retries=2, backoff_s=0.01)
    with pytest.raises(SinkError, match=rf"127.0.0.1:{port}/v1/events: gave up after 2 attempts; last: ConnectionRefusedError"):
        s.send([ev(1)])
    s.close()


def test_http_bad_url():
    with pytest.raises(SinkError, match="ftp://x"):
        HttpSink("ftp://x", TOKEN)


KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:9")


def test_kafka_route_by_type_and_subject():
    assert route(ev(1), KAFKA) == ("hotline.calls.v1", b"c1")
    assert route(ev(1, type="hotline.ticket.created", subject="T-工单"), KAFKA) == (
        "hotline.tickets.v1", "T-工单".encode())
    # malformed events still go somewhere, for the aggregate to dead-letter
    assert route(ev(1, type="hotline.call.teleported"), KAFKA) == ("hotline.tickets.v1", b"c1")
    assert route(ev(1, type=7), KAFKA) == ("hotline.tickets.v1", b"c1")
    assert route({k: v for k, v in ev(1).items() if k != "subject"}, KAFKA) == ("hotline.calls.v1", None)
    assert route(ev(1, subject=""), KAFKA) == ("hotline.calls.v1", None)


def test_open_sink(tmp_path):
    s = open_sink("file", path=tmp_path / "x.ndjson")
    assert isinstance(s, FileSink)
    s.close()
    with pytest.raises(SinkError, match="unknown sink 'carrier-pigeon'; known: http, kafka, file"):
        open_sink("carrier-pigeon")
    with pytest.raises(SinkError, match="token"):
        open_sink("http", url="http://127.0.0.1:1")
    with pytest.raises(SinkError, match="path"):
        open_sink("file")
