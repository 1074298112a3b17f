"""Live figures end to end in a real Prometheus server (Debian's `prometheus`): events posted to
the ingest service → Kafka → aggregate worker → ClickHouse → the API's gauges → scraped every
second → read back with /api/v1/query and checked against what was sent. The aggregate worker
is SIGKILLed and restarted on the way: calls waiting must not drop to zero meanwhile.

Runs its own stack (`hotline up`, .state/prometheus-e2e) so that "today" holds only these events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import pytest

from tooling.simulator.sinks import HttpSink
from tests.support.own_stack import REPO, hotline, own_stack
from tests.support.waiting import eventually

pytestmark = [pytest.mark.stack, pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.promtool]

PORTS = {"HOTLINE_CLICKHOUSE_PORT": "19600", "HOTLINE_CLICKHOUSE_HTTP_PORT": "18623",
         "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19692", "HOTLINE_INGEST_PORT": "18680",
         "HOTLINE_API_PORT": "18690", "HOTLINE_AGGREGATE_PORT": "16666",
         "HOTLINE_ALERTS_PORT": "18695"}
PROM = "127.0.0.1:19690"
TZ = ZoneInfo("Asia/Shanghai")
JOBS = {"ingest": PORTS["HOTLINE_INGEST_PORT"], "aggregate": PORTS["HOTLINE_AGGREGATE_PORT"],
        "api": PORTS["HOTLINE_API_PORT"], "alerts": PORTS["HOTLINE_ALERTS_PORT"]}


def _binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/sbin:/bin")
    assert path, f"{name} is not installed: run scripts/bootstrap.sh (it installs Debian's prometheus package)"
    return path


def _just_after_midnight() -> bool:
    local = dt.datetime.now(TZ)
    return local.hour == 0 and local.minute < 15


@pytest.fixture(scope="module")
def stack():
    # Not in the first minutes after local midnight: "today" must hold every event sent (the
    # scenario reaches 10 minutes back).
    eventually(lambda: not _just_after_midnight(), timeout_s=16 * 60, interval_s=10,
               what="local time past 00:15 in Asia/Shanghai")
    with own_stack("prometheus-e2e", PORTS) as env:
        yield env


@pytest.fixture(scope="module")
def prometheus(stack, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        # the project's alert rules, loaded by a real server (not only promtool)
        "rule_files": [str(REPO / "deploy" / "prometheus" / "rules" / "*.yml")],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                           for job, port in JOBS.items()],
    }
    (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    log = open(folder / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [_binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address={PROM}"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def ready_or_exited() -> bool:
            assert proc.poll() is None, (folder / "prometheus.log").read_text()[-2000:]
            return _ready()

        eventually(ready_or_exited, timeout_s=60, interval_s=0.5, what="prometheus answering /-/ready")
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"http://{PROM}/-/ready", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def query(expr: str) -> float | None:
    url = f"http://{PROM}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        result = json.loads(r.read())["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def reads(expr: str, want: float, timeout_s: float = 90, tol: float = 1e-9) -> float:
    """The value of `expr` once it is `want` (within `tol`); Prometheus scrapes every second."""
    return eventually(lambda: query(expr), until=lambda got: got is not None and abs(got - want) <= tol,
                      timeout_s=timeout_s, interval_s=1, what=f"{expr} = {want}")


def _ev(n: int, type_: str, subject: str, t: dt.datetime, data: dict, source: str = "/pbx/main") -> dict:
    return {"specversion": "1.0", "id": f"{subject}-{n}", "source": source, "type": f"hotline.{type_}",
            "time": t.astimezone(TZ).isoformat(timespec="seconds"), "subject": subject, "data": data}


def scenario(t0: dt.datetime, run: str) -> list[dict]:
    """9 inbound calls: 4 answered within 30 s, 1 after 60 s, 1 abandoned, 3 still waiting;
    6 tickets: 3 by phone answered online, 2 internet and 1 from 110 dispatched, one of which is
    overdue and one completed."""
    s = lambda k: t0 - dt.timedelta(seconds=k)  # noqa: E731
    out: list[dict] = []
    for i in range(4):
        c = f"{run}-a{i}"
        out += [_ev(0, "call.offered", c, s(600), {"direction": "inbound", "caller": "13800000000"}),
                _ev(1, "call.answered", c, s(595), {"agent_id": "A001"}), _ev(2, "call.ended", c, s(400), {})]
    out += [_ev(0, "call.offered", f"{run}-a4", s(500), {"direction": "inbound"}),
            _ev(1, "call.answered", f"{run}-a4", s(440), {"agent_id": "A002"}), _ev(2, "call.ended", f"{run}-a4", s(300), {}),
            _ev(0, "call.offered", f"{run}-b0", s(300), {"direction": "inbound"}),
            _ev(1, "call.abandoned", f"{run}-b0", s(260), {}),
            _ev(0, "call.offered", f"{run}-o0", s(200), {"direction": "outbound"}),
            _ev(1, "call.answered", f"{run}-o0", s(190), {"agent_id": "A003"})]
    for i, k in enumerate((120, 90, 60)):
        out.append(_ev(0, "call.offered", f"{run}-w{i}", s(k), {"direction": "inbound"}))
    created = lambda tk, k, ch, src, **kw: _ev(0, "ticket.created", tk, s(k), {  # noqa: E731
        "requester": "citizen", "channel": ch, "kind": "non_consult", "category": "民生保障", **kw}, src)
    for i in range(3):
        tk = f"{run}-t{i}"
        out += [created(tk, 590, "phone", "/ticketing/main", call_id=f"{run}-a{i}"),
                _ev(1, "ticket.answered", tk, s(400), {"by": "agent"}, "/ticketing/main")]
    late, later = s(60).isoformat(), (t0 + dt.timedelta(days=1)).isoformat()
    out += [created(f"{run}-t3", 500, "web", "/portal/web"),
            _ev(1, "ticket.dispatched", f"{run}-t3", s(480), {"department": "市住建局", "deadline": late}, "/ticketing/main"),
            created(f"{run}-t4", 450, "110", "/gateway/110"),
            _ev(1, "ticket.dispatched", f"{run}-t4", s(440), {"department": "市公安局", "deadline": later}, "/ticketing/main"),
            created(f"{run}-t5", 400, "app", "/portal/app"),
            _ev(1, "ticket.dispatched", f"{run}-t5", s(390), {"department": "市城管局", "deadline": later}, "/ticketing/main"),
            _ev(2, "ticket.completed", f"{run}-t5", s(100), {}, "/ticketing/main")]
    return out


def _promtool_check_metrics(port: str) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read()
    check = subprocess.run([_binary("promtool"), "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert check.returncode == 0, f"promtool check metrics on :{port}:\n{check.stdout.decode()}{check.stderr.decode()}"


def test_live_figures_in_prometheus_survive_a_killed_worker(stack, prometheus):
    for job in JOBS:
        reads(f'up{{job="{job}"}}', 1)
    t0 = dt.datetime.now(TZ)
    run = f"prom{int(t0.timestamp())}"
    sink = HttpSink(f"http://127.0.0.1:{PORTS['HOTLINE_INGEST_PORT']}", "dev-token")
    sent = scenario(t0, run)
    assert sink.send(sent).accepted == len(sent)

    reads("max(hotline_live_calls_waiting)", 3)
    expected = {
        'max(hotline_live_calls_today{outcome="offered"})': 9,
        'max(hotline_live_calls_today{outcome="answered"})': 5,
        'max(hotline_live_calls_today{outcome="abandoned"})': 1,
        # 4 of 9 decided calls within 30 s; /v1/live rounds it to 44.44 %
        "max(hotline_live_service_level_15m_ratio)": 0.4444,
        'max(hotline_live_tickets_created_today{source="phone"})': 3,
        'max(hotline_live_tickets_created_today{source="internet"})': 2,
        'max(hotline_live_tickets_created_today{source="transfer_in"})': 1,
        "max(hotline_live_tickets_answered_online_today)": 3,
        "max(hotline_live_tickets_dispatched_today)": 3,
        "max(hotline_live_tickets_open)": 2,
        "max(hotline_live_tickets_overdue)": 1,
        'sum(hotline_ingest_events_total{status="accepted"})': len(sent),
        "max(hotline_api_clickhouse_up)": 1,
        "min(hotline_ingest_broker_up)": 1,
    }
    for expr, want in expected.items():
        reads(expr, want, tol=1e-6)
    oldest = query("max(hotline_live_oldest_wait_seconds)")
    assert 120 <= oldest <= 120 + (dt.datetime.now(TZ) - t0).total_seconds() + 5
    fresh = query("max(hotline_live_freshness_seconds)")
    assert 60 <= fresh <= 60 + (dt.datetime.now(TZ) - t0).total_seconds() + 5  # newest event: 60 s before t0
    for port in JOBS.values():
        _promtool_check_metrics(port)

    # SIGKILL the aggregate worker: Prometheus sees it down, and calls waiting stay 3, not 0.
    pid = json.loads((REPO / ".state" / "prometheus-e2e" / "run" / "aggregate.pid").read_text())["pid"]
    os.killpg(pid, signal.SIGKILL)
    reads('up{job="aggregate"}', 0, timeout_s=30)
    # What is under test here is a duration: ten seconds (ten scrapes) with the worker down, and
    # the gauge must read 3 all along; so this waits for time on purpose.
    readings = []
    for _ in range(10):
        readings.append(query("max(hotline_live_calls_waiting)"))
        time.sleep(1)
    assert readings == [3.0] * 10

    # Restarted, the worker carries on: one waiting call answered, one abandoned.
    up = hotline(stack, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    now = dt.datetime.now(TZ)
    more = [_ev(1, "call.answered", f"{run}-w0", now, {"agent_id": "A004"}),
            _ev(1, "call.abandoned", f"{run}-w1", now, {})]
    assert sink.send(more).accepted == 2
    sink.close()
    reads("max(hotline_live_calls_waiting)", 1, timeout_s=120)
    reads('max(hotline_live_calls_today{outcome="answered"})', 6)
    reads('max(hotline_live_calls_today{outcome="abandoned"})', 2)
    reads('up{job="aggregate"}', 1)
