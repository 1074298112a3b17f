"""The load test's own logic (bench/load_measure.py) and its wrk script (bench/load/events.lua),
the latter run by wrk against a stand-in ingest on loopback (skipped where wrk is missing)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from bench.load_measure import (
    BATCH, LUA, SINGLE, Row, Samples, analyse, backlog_growth, drained_after, fell_behind, ingest_accepted, marked,
    parse_wrk, phase1_split, step_record, wrk_argv, write_bodies,
)


def event(i: int) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": f"sim1-c2023-{i:08d}-0", "source": "/pbx/main",
                         "type": "hotline.call.offered", "time": "2023-01-01T00:51:07+08:00",
                         "subject": f"sim1-c2023-{i // 2:08d}", "data": {"direction": "inbound", "call_id": "x"}})


def test_marked_prefixes_id_and_subject_only():
    e = orjson.loads(marked(event(3)))
    assert e["id"] == "@@sim1-c2023-00000003-0" and e["subject"] == "@@sim1-c2023-00000001"
    assert e["data"] == {"direction": "inbound", "call_id": "x"}
    with pytest.raises(ValueError):
        marked(marked(event(3)))


def test_write_bodies_singles_and_batches(tmp_path: Path):
    events = [marked(event(i)) for i in range(11)]
    single = write_bodies(events, tmp_path / "1.jsonl", 1)
    assert single["bodies"] == 11
    lines = (tmp_path / "1.jsonl").read_bytes().splitlines()
    assert [orjson.loads(x)["id"] for x in lines][:2] == ["@@sim1-c2023-00000000-0", "@@sim1-c2023-00000001-0"]
    batch = write_bodies(events, tmp_path / "5.jsonl", 5)
    assert batch["bodies"] == 2  # the shorter last group is left out
    arrays = [orjson.loads(x) for x in (tmp_path / "5.jsonl").read_bytes().splitlines()]
    assert [len(a) for a in arrays] == [5, 5] and arrays[1][0]["id"] == "@@sim1-c2023-00000005-0"
    with pytest.raises(ValueError):
        write_bodies(events, tmp_path / "50.jsonl", 50)


def test_phase1_split_halves_the_rate_and_batches_a_seconds_worth():
    s = phase1_split(12.25, 0.5, 50)
    assert s["single_requests_per_s"] == 6.125
    assert s["batch_events_per_request"] == 6
    assert s["batch_requests_per_s"] == pytest.approx(6.125 / 6, abs=1e-4)
    assert phase1_split(1000, 0.5, 50)["batch_events_per_request"] == 50
    assert phase1_split(0.5, 0.5, 50)["batch_events_per_request"] == 1
    assert phase1_split(12.25, 1.0, 50)["batch_requests_per_s"] == 0.0


def test_wrk_argv_closed_and_fixed_rate():
    closed = wrk_argv("http://127.0.0.1:1/v1/events", Path("/b"), SINGLE, 1, "s8", "tok", connections=8,
                      threads=4, send_s=30, grace_s=3)
    assert closed[:5] == ["wrk", "-t4", "-c8", "-d33s", "--timeout"] and closed[5] == "93s"
    assert closed[-8:] == ["--", "/b", SINGLE, "1", "s8", "tok", "30", "4"]
    assert closed[closed.index("-s") + 1] == str(LUA)
    rated = wrk_argv("u", Path("/b"), BATCH, 6, "p1b", "tok", connections=1, threads=2, send_s=20, grace_s=3,
                     rate=1.0208)
    assert rated[1] == "-t1"  # never more threads than connections
    assert rated[-3:] == ["20", "1", "1.0208"]


def test_parse_wrk_reads_the_result_line():
    out = ("Running 7s test @ http://x\n  1 threads and 1 connections\n"
           'WRK_RESULT {"answered":10,"accepted_events":500,"partial":0,"non200":0,"requests_per_s":2.0,'
           '"window_s":5.0,"start_monotonic_s":12.5,"late_max_ms":0.0,"errors":{"connect":0,"read":1,'
           '"write":0,"status":0,"timeout":0},"latency_us":{"p50":1500,"p99":20000,"max":25000},"sample":""}\n')
    r = parse_wrk(out)
    assert r["latency_ms"] == {"p50": 1.5, "p99": 20.0, "max": 25.0}
    assert r["socket_errors"] == 1 and r["accepted_events"] == 500
    with pytest.raises(ValueError):
        parse_wrk("Running 7s test\n")


def test_ingest_accepted_sums_only_the_accepted_status():
    text = """# TYPE hotline_ingest_events_total counter
hotline_ingest_events_total{producer="development",source_prefix="/",status="accepted"} 120.0
hotline_ingest_events_total{producer="pbx",source_prefix="/pbx/",status="accepted"} 3.0
hotline_ingest_events_total{producer="pbx",source_prefix="/pbx/",status="rejected"} 7.0
hotline_ingest_events_created{producer="pbx",source_prefix="/pbx/",status="accepted"} 1.7e9
"""
    assert ingest_accepted(text) == 123


def test_backlog_growth_and_falling_behind():
    steady = [(t, 100) for t in range(10)]
    assert backlog_growth(steady) == 0 and fell_behind(steady, 1000) is None
    growing = [(t, 1000 * t) for t in range(10)]  # 1,000 events/s more than ClickHouse takes
    assert backlog_growth(growing) == 4000
    assert "grew" in fell_behind(growing, 4000)  # +4,000 in 4 s, 9,000 at the end: over 2 s of 4,000/s
    assert fell_behind(growing, 5000) is None  # 9,000 at the end is under 2 s of 5,000/s
    assert fell_behind(growing[:3], 4000) is None  # too few samples to tell
    small = [(t, 10 * t) for t in range(10)]  # growing, but under 2 s of traffic at the end
    assert fell_behind(small, 1000) is None


def test_drained_after_from_samples_or_the_wait():
    backlog = [(0, 0), (1, 50), (2, 80), (3, 40), (4, 0), (5, 0)]
    assert drained_after(backlog, 2.0, 5.0, 0.0) == 2.0  # first empty sample after the window: t=4
    assert drained_after([(0, 0), (1, 50), (2, 80)], 2.0, 3.0, 4.5) == 5.5  # 1 s of the run + the wait
    assert drained_after([(0, 0), (1, 50)], 1.0, 2.0, None) is None


def test_samples_summary_over_a_window():
    rows = [Row(t, 1000 * t, 1000 * t - (200 if 2 <= t <= 4 else 0), 5 * t, {"ingest": 0.5 * t}, (50 * t, 100 * t))
            for t in range(7)]
    s = Samples(rows).summary(start=1, end=5)
    assert s["ingest_events_per_s"] == 1000.0 and s["clickhouse_events_per_s"] == 1000.0
    assert s["backlog_events"]["max"] == 200 and s["backlog_events"]["end"] == 0
    assert s["consumer_lag_messages"] == {"max": 25, "end": 25}
    assert s["cores_used"] == {"ingest": 0.5} and s["machine_busy_pct"] == 50.0
    assert Samples(rows).backlog(start=3.5)[0] == (-0.5, 200)  # from half a second before the start on


def wrk_result(conns: int, rps: float, per_body: int, p99: float, non200: int = 0) -> dict:
    return {"answered": int(rps * 30), "requests_per_s": rps, "accepted_events": int(rps * 30) * per_body,
            "window_s": 30.0, "latency_ms": {"p50": p99 / 4, "p95": p99 / 2, "p99": p99}, "socket_errors": 0,
            "errors": {}, "non200": non200, "partial": 0, "sample": ""}


def test_analyse_finds_the_knee_the_peak_and_the_limits():
    curve = [(1, 400, 3), (2, 800, 4), (4, 1500, 6), (8, 2250, 15), (16, 2400, 40), (32, 2450, 120), (64, 2300, 250)]
    steps = [step_record("single", c, 1, wrk_result(c, rps, 1, p99)) for c, rps, p99 in curve]
    for s in steps:
        s["pipeline"] = {"clickhouse_events_per_s": min(s["events_per_s"], 2000)}
        s["pipeline_fell_behind"] = "backlog grew" if s["events_per_s"] > 2000 else None
    a = analyse(steps, p99_limit_ms=100, knee=0.9)
    assert a["peak"]["connections"] == 32
    assert a["saturation"]["connections"] == 8  # 2,250 >= 90 % of 2,450
    assert a["within_limits"]["connections"] == 16  # 32 passes p99 100 ms
    assert a["pipeline"]["kept_up_up_to_events_per_s"] == 1500.0
    assert a["pipeline"]["fell_behind_from"]["connections"] == 8
    assert a["pipeline"]["clickhouse_events_per_s_max"] == 2000
    steps[0]["non200"] = 1
    assert analyse(steps)["within_limits"] is None


class StandIn(BaseHTTPRequestHandler):
    """Ingest's answer, {"accepted": n, …} for the n events of a body; records (id, subject)."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - the handler's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        events = body if isinstance(body, list) else [body]
        with self.lock:
            self.seen.extend((e["id"], e["subject"], self.headers["Authorization"]) for e in events)
        answer = orjson.dumps({"accepted": len(events), "rejected": 0, "results": []})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stand_in():
    StandIn.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/events"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/bootstrap.sh installs it)")
def test_the_wrk_script_counts_accepted_events_and_never_repeats_an_id(tmp_path: Path, stand_in: str):
    assert LUA.is_file()
    events = [marked(event(i)) for i in range(20)]
    write_bodies(events, tmp_path / "b.jsonl", 4)  # 5 bodies: cycled many times in a second
    argv = wrk_argv(stand_in, tmp_path / "b.jsonl", BATCH, 4, "b2", "tok", connections=2, threads=2,
                    send_s=1, grace_s=1)
    r = parse_wrk(subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout)
    seen = StandIn.seen
    assert r["answered"] > 5 and r["non200"] == 0 and r["socket_errors"] == 0 and r["unanswered"] == 0
    assert r["accepted_events"] == 4 * r["answered"] == len(seen)  # every request answered within the grace
    assert len({s[0] for s in seen}) == len(seen)  # ids unique over laps and threads
    assert all(s[0].startswith("b2.") and s[1].startswith("b2.") for s in seen)
    assert {s[2] for s in seen} == {"Bearer tok"}
    assert {s[0].split(".")[1] for s in seen} == {"1", "2"}  # both threads sent


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/bootstrap.sh installs it)")
def test_the_wrk_script_keeps_a_fixed_rate(tmp_path: Path, stand_in: str):
    write_bodies([marked(event(i)) for i in range(50)], tmp_path / "s.jsonl", 1)
    argv = wrk_argv(stand_in, tmp_path / "s.jsonl", SINGLE, 1, "p1s", "tok", connections=2, threads=1,
                    send_s=1.5, grace_s=0.5, rate=20)
    r = parse_wrk(subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout)
    assert r["answered"] == 30 == len(StandIn.seen)  # due at 0, 50 ms, … 1,450 ms
    assert r["unanswered"] == 0
    assert r["late_max_ms"] < 50
