"""Benchmark of the query API on a simulated city-year: annual report cold and cached, /v1/live.

    .venv/bin/python bench/api.py [--scale 1.0] [--keep]

Starts only what it measures: its own ClickHouse (state in .state/bench-api, its own ports) and
the API as `hotline up` runs it (uvicorn, one process); no broker, ingest or aggregate worker.
Fills the database `hotline_bench` straight in SQL (`INSERT … SELECT … FROM numbers(N)`, every
column a deterministic function of cityHash64(number, seed)): 2023 at Huai'an's volumes
(1,450,699 tickets; 1,421,313 answered + 120,000 abandoned inbound calls, 155,517 answered +
25,000 unanswered outbound), 2022 with 10 % more tickets and the calls the published
year-over-year implies, distributions after report-huaian-2023.json. 5 % of tickets and calls
also get an older version (fewer events) and their newest version lands in later small inserts,
as after live refreshes, so FINAL has merging to do. Yesterday's and today's rows (some calls
waiting) and a month of raw events feed /v1/live. `--scale` multiplies every volume; `--keep`
keeps the database (and skips the fill next time at the same scale), else it is dropped.

Then, through HTTP (httpx): the annual report cold, twice over: with facts changed since the last
compaction (a facts_changes row for a 2023 day moves the cache validator; read with FINAL), then
after compacting both facts tables as the API's compactor does (new supplied figures move the
validator; read without FINAL; the first report reads the cubes, the API keeps them for the next),
and cached; the other formats (cold = compacted); then with June 2023 changed again (June with
FINAL, its partition only; the other months of both years without, then kept by the API); the
report's cube reads with nothing kept (a new reader each time, in-process); /v1/live under 20
concurrent clients, once with httpx and once with aiohttp (httpx alone saturates a core before
the API does); in-process: every cube and live query timed alone, the live refresh
(LiveFigures.compute) timed. Prints a table, writes docs/benchmarks/api.json and api.md.
Targets (2 cores): cold <= 1 s, cached <= 20 ms, live p99 <= 50 ms. Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import orjson
import uvloop

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# bench/ is on sys.path when this runs as a script.
from api_facts import DATABASE, data_counts, fill, refresh_live_rows, scaled_volumes, settle  # noqa: E402
from bench.stages.common import cpu_s  # noqa: E402
from bench.stages.measure_http import invalidate, live_load, summary, timed  # noqa: E402
BENCH_ENV = {
    "HOTLINE_STATE_DIR": str(REPO / ".state" / "bench-api"), "HOTLINE_CLICKHOUSE_PORT": "19400",
    "HOTLINE_CLICKHOUSE_HTTP_PORT": "18423", "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19492",
    "HOTLINE_INGEST_PORT": "18480", "HOTLINE_API_PORT": "18490", "HOTLINE_AGGREGATE_PORT": "16466", "HOTLINE_ALERTS_PORT": "18495",
    "HOTLINE_CLICKHOUSE_DATABASE": DATABASE, "HOTLINE_ENV": "development",
    # The benchmark compacts when it means to; the API's own round would blur the cold figures.
    "HOTLINE_API_COMPACT_EVERY_S": "0",
}
os.environ.update(BENCH_ENV)

from hotline.settings import ClickHouseSettings, StackSettings  # noqa: E402
from tooling.stack.clickhouse_server import LocalClickHouse  # noqa: E402
from tooling.stack.services import SERVICES, LocalService  # noqa: E402
from hotline.storage.client import connect  # noqa: E402
from hotline.storage.migrate import migrate  # noqa: E402
from hotline.storage import compaction, open_tickets  # noqa: E402
from services.api.facts_reader import FactsReader, _sql  # noqa: E402
from services.api.live import Clock, LiveFigures, call_params  # noqa: E402
from services.api.report import assemble  # noqa: E402
from services.api.report.assemble import ReportParams  # noqa: E402
from services.api.report.coverage import assess  # noqa: E402
from services.api.report.figures import ServiceLevel  # noqa: E402
from services.api.report.period import Period  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
AUTH = {"Authorization": "Bearer dev-token"}
TARGETS_MS = {"cold_median": 1000, "cached_median": 20, "live_p99": 50}


class Proc:
    """CPU seconds and peak RSS of a process, from /proc."""

    def __init__(self, pid: int):
        self.pid = pid

    def cpu_s(self) -> float:
        return cpu_s(self.pid)

    def mem_mb(self) -> dict:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines())
        return {k: round(int(status[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM")}


def busy_cpu_s() -> float:
    """CPU seconds every process of the machine has used since boot (from /proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


def query_times(reader: FactsReader, repeat: int) -> dict:
    """Every cube and live query alone (clickhouse-driver, sequential), and the parts of a cold report."""
    year, prev, sl = Period.year(2023), Period.year(2022), ServiceLevel()
    p = FactsReader._period_params(year, prev, sl)
    out: dict = {"cubes": {}, "live": {}}
    # ticket_cubes: the report's four ticket cubes in one read, here of all ids in one thread
    # (report_cubes_concurrent below splits it in two ranges of ids beside the calls cube).
    p = {**p, "split": ""}
    for name, bucket in (("ticket_cube", "month"), ("call_cube", "month"), ("ticket_cubes", "month")):
        rows = reader.rows(name, p, bucket)
        out["cubes"][name] = {**summary(timed(lambda: reader.rows(name, p, bucket), repeat)), "rows": len(rows)}
    # Diagnostic, not an answer of the API: the same cube queries without FINAL (wrong when a
    # ticket or call still has two versions) show what the one-stream FINAL of 18.16 costs.
    # The category, department and tag cubes are read this way only (a compacted period).
    out["cubes_without_final"] = {}
    for name, bucket in (("ticket_cube", "month"), ("call_cube", "month"), ("ticket_cubes", "month"),
                         ("category_cube", "day"), ("department_cube", "day"), ("tag_cube", "day")):
        with reader._client() as client:
            sql = _sql(name, DATABASE, bucket).replace(" FINAL", "")
            out["cubes_without_final"][name] = summary(timed(lambda: client.execute(sql, p), repeat))
    out["cubes"]["changes"] = summary(timed(lambda: reader.changes(year, prev), repeat * 4))
    out["cubes"]["supplied"] = summary(timed(lambda: reader.supplied(2023), repeat * 4))
    out["report_cubes_concurrent"] = summary(timed(lambda: reader.report_cubes(year, prev, sl), repeat))
    cubes = reader.report_cubes(year, prev, sl)
    params, doc = ReportParams(), {}
    coverage = assess(year, reader.coverage(), dt.date.today())

    def build() -> None:
        doc.update(assemble.report(kind="annual", city="淮安市", timezone="Asia/Shanghai", period=year,
                                   previous=prev, cubes=cubes, params=params, supplied=None, generated_at="x",
                                   coverage=coverage))
    out["assemble_python"] = summary(timed(build, repeat))
    out["orjson_dumps"] = summary(timed(lambda: orjson.dumps(doc), repeat))
    out["document_check"] = {
        "tickets_2023": doc["demands"]["rows"]["all"]["total"],
        "tickets_yoy_pct": doc["demands"]["yoy_pct"]["all"]["total"],
        "inbound_answered": doc["calls"]["inbound"]["answered"],
        "service_level_30s_pct": doc["calls"]["inbound"]["service_level_30s_pct"],
        "outbound_count": doc["calls"]["outbound"]["count"],
    }
    now_ms = int(time.time() * 1000)
    clock = Clock(now_ms, TZ)
    live_params = {
        "live_calls": call_params(clock, sl, 3600),
        "live_tickets": {"since": clock.today - dt.timedelta(days=7), "today": clock.today, "today_ms": clock.today_ms},
        "live_open": {"now_ms": now_ms}, "live_freshness": {"since_s": now_ms // 1000 - 2 * 86400},
    }
    for name, lp in live_params.items():
        out["live"][name] = summary(timed(lambda: reader.rows(name, lp), repeat * 4))
    live = LiveFigures(reader, "Asia/Shanghai", sl, refresh_s=0.5, max_wait_s=3600)
    times = timed(live.compute, 20)  # rounds 0 and 10 also count the open tickets (open_every = 10)
    out["live_compute"] = {**summary(times), "with_open_round_ms": [round(times[0] * 1000, 1), round(times[10] * 1000, 1)],
                           "figures": live.compute().figures}
    return out


def invalidate_supplied(ch) -> None:
    """A miss with the facts untouched (new supplied figures): a compacted year reads without FINAL."""
    ch.execute(f"INSERT INTO {DATABASE}.supplied_figures (year, version, document, supplied_by, updated_at) VALUES",
               [(2023, time.time_ns(), '{"bench": 1}', "bench", dt.datetime.now().replace(microsecond=0))])


def http_reports(ch, base: str, api: Proc, chp: Proc, cold_n: int, cached_n: int) -> dict:
    out: dict = {"problems": []}
    url = f"{base}/v1/reports/annual/2023"

    def get(client: httpx.Client, fmt: str, want: str) -> float:
        t = time.perf_counter()
        r = client.get(url, params=None if fmt == "json" else {"format": fmt}, headers=AUTH)
        took = time.perf_counter() - t
        if r.status_code != 200 or r.headers.get("x-cache") != want:
            out["problems"].append(f"{fmt}: status {r.status_code}, X-Cache {r.headers.get('x-cache')} (wanted {want}): "
                                   f"{r.text[:200]}")
        out.setdefault("bytes", {})[fmt] = len(r.content)
        return took

    def cold_misses(client: httpx.Client, invalidate_first) -> dict:
        """cold_n reports computed afresh (each after `invalidate_first()`), with the CPU they cost."""
        cpu0, ch0 = api.cpu_s(), chp.cpu_s()
        took = []
        for _ in range(cold_n):
            invalidate_first()
            took.append(get(client, "json", "miss"))
        return {**summary(took), "api_cpu_s_per_report": round((api.cpu_s() - cpu0) / cold_n, 3),
                "clickhouse_cpu_s_per_report": round((chp.cpu_s() - ch0) / cold_n, 3)}

    with httpx.Client(base_url=base, timeout=300) as client:
        invalidate(ch, DATABASE)
        out["first_request_ms"] = round(get(client, "json", "miss") * 1000, 1)
        out["cold"] = {**cold_misses(client, lambda: invalidate(ch, DATABASE)),
                       "clickhouse_caches": "warm (mark cache from the previous runs; OS page cache warm)"}
        dropped = []
        for _ in range(3):
            ch.execute("SYSTEM DROP MARK CACHE")
            ch.execute("SYSTEM DROP UNCOMPRESSED CACHE")
            invalidate(ch, DATABASE)
            dropped.append(get(client, "json", "miss"))
        out["cold_mark_cache_dropped"] = {**summary(dropped), "note": "SYSTEM DROP MARK/UNCOMPRESSED CACHE before "
                                          "each; the OS page cache stays warm"}
        # A finished year as the API's compactor leaves it (hotline/storage/compaction.py).
        t = time.perf_counter()
        for entity in ("ticket", "call"):
            compaction.compact(ch, DATABASE, entity)
        out["compaction_s"] = round(time.perf_counter() - t, 1)
        # The API keeps a compacted read's cubes while its months' change count stays put
        # (facts_reader.py): the first report after the compaction reads them, the next ones do not.
        invalidate_supplied(ch)
        out["compacted_first_ms"] = round(get(client, "json", "miss") * 1000, 1)
        out["cold_compacted"] = cold_misses(client, lambda: invalidate_supplied(ch))
        out["cubes_nothing_kept"] = {"compacted": cubes_nothing_kept()}
        cpu0 = api.cpu_s()
        out["cached"] = {**summary(timed(lambda: get(client, "json", "hit"), cached_n), percentiles=True),
                         "api_cpu_ms_per_request": round((api.cpu_s() - cpu0) / cached_n * 1000, 2)}
        out["formats"] = {}
        for fmt, module in (("csv", "csv_out"), ("xlsx", "xlsx"), ("html", "html")):
            try:
                missing = importlib.util.find_spec(f"services.api.render.{module}") is None
            except ModuleNotFoundError:
                missing = True
            if missing:
                out["formats"][fmt] = f"not measured: services/api/render/{module}.py does not exist yet"
                continue
            cold = []
            for _ in range(3):
                invalidate_supplied(ch)
                cold.append(get(client, fmt, "miss"))
            cached = timed(lambda: get(client, fmt, "hit"), 50)
            out["formats"][fmt] = {"cold": summary(cold), "cached": summary(cached, percentiles=True)}
        # The current year changing beside the last one compacted, as a running API has them: the
        # compactor merged both years, a refresh has touched a day of June 2023 since. June is
        # read with FINAL (its partition only), the other months of both years without, and their
        # cubes then kept while their days stay unchanged.
        invalidate(ch, DATABASE)
        out["changing_beside_compacted_first_ms"] = round(get(client, "json", "miss") * 1000, 1)
        out["cold_changing_beside_compacted"] = cold_misses(client, lambda: invalidate(ch, DATABASE))
        out["cubes_nothing_kept"]["june_changing"] = cubes_nothing_kept()
    return out


def cubes_nothing_kept(repeat: int = 5) -> dict:
    """The cube reads of the 2023 report (beside 2022) as an API just started does them: a new
    FactsReader each time, so nothing is kept from a previous report (in-process, not over HTTP)."""
    took = []
    for _ in range(repeat):
        reader = FactsReader(ClickHouseSettings())
        try:
            took += timed(lambda: reader.report_cubes(Period.year(2023), Period.year(2022), ServiceLevel()), 1)
        finally:
            reader.close()
    return summary(took)


def live_histogram(base: str) -> dict[str, float]:
    """The API's own request-duration histogram of /v1/live (cumulative counts per bucket)."""
    out = {}
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith("hotline_api_request_duration_seconds_bucket") and 'route="/v1/live"' in line \
                and 'status="200"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[le] = out.get(le, 0) + float(line.rsplit(" ", 1)[1])
    return out


def server_side(before: dict[str, float], after: dict[str, float]) -> dict:
    n = after.get("+Inf", 0) - before.get("+Inf", 0)
    return {"requests": int(n), "share_within_ms": {
        f"{float(le) * 1000:g}": round((after[le] - before.get(le, 0)) / n * 100, 2)
        for le in after if le != "+Inf" and float(le) <= 0.1} if n else {}}


def wait_live(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/v1/live", headers=AUTH).status_code == 200:
            return
        time.sleep(0.2)
    raise SystemExit("/v1/live has no snapshot after 60 s")


# -- output -----------------------------------------------------------------------------------

def table(res: dict) -> list[tuple[str, str, str]]:
    r, q = res["annual_report"], res["queries"]
    rows = [
        ("fill (2 years of facts)", f"{res['fill']['seconds']} s", "-"),
        ("annual report 2023 JSON, first request after start", f"{r['first_request_ms']} ms", "-"),
        ("annual report JSON cold, year compacted (no FINAL): first after the compaction; then median of "
         f"{r['cold_compacted']['n']} (min–max), its cubes kept",
         f"{r['compacted_first_ms']} ms; {r['cold_compacted']['median_ms']} ms "
         f"({r['cold_compacted']['min_ms']}–{r['cold_compacted']['max_ms']})", f"≤ {TARGETS_MS['cold_median']} ms"),
        ("compaction of both facts tables (OPTIMIZE FINAL), once", f"{r['compaction_s']} s", "-"),
        (f"annual report JSON cold, facts changed since compaction (FINAL), median of {r['cold']['n']} (min–max)",
         f"{r['cold']['median_ms']} ms ({r['cold']['min_ms']}–{r['cold']['max_ms']})", "-"),
        ("annual report JSON cold, June 2023 changing, the other months and 2022 compacted: June with FINAL, the "
         "rest without (first report) and then kept; first, then median of "
         f"{r['cold_changing_beside_compacted']['n']} (min–max)",
         f"{r['changing_beside_compacted_first_ms']} ms; {r['cold_changing_beside_compacted']['median_ms']} ms "
         f"({r['cold_changing_beside_compacted']['min_ms']}–{r['cold_changing_beside_compacted']['max_ms']})",
         f"≤ {TARGETS_MS['cold_median']} ms"),
        ("the report's cube reads with nothing kept (a new reader each time, in-process), median of "
         f"{r['cubes_nothing_kept']['compacted']['n']}: compacted; June 2023 changing",
         f"{r['cubes_nothing_kept']['compacted']['median_ms']} ms; {r['cubes_nothing_kept']['june_changing']['median_ms']} ms",
         f"≤ {TARGETS_MS['cold_median']} ms"),
        ("annual report JSON cold, ClickHouse mark cache dropped, median of 3",
         f"{r['cold_mark_cache_dropped']['median_ms']} ms", "-"),
        (f"annual report JSON cached, {r['cached']['n']} sequential: median / p95 / p99",
         f"{r['cached']['median_ms']} / {r['cached']['p95_ms']} / {r['cached']['p99_ms']} ms", f"≤ {TARGETS_MS['cached_median']} ms"),
    ]
    for fmt, v in r["formats"].items():
        rows.append((f"annual report {fmt}", v if isinstance(v, str) else
                     f"cold {v['cold']['median_ms']} ms, cached median {v['cached']['median_ms']} / p99 {v['cached']['p99_ms']} ms", "-"))
    for lv in res["live_runs"]:
        within = lv["api_side"]["share_within_ms"]
        rows += [
            (f"/v1/live, {lv['clients']} {lv['client']} clients × {lv['seconds']} s: req/s, p50 / p95 / p99 "
             f"(client CPU {lv['load_generator_cpu_s']} s, API CPU {lv['api_cpu_s']} s)",
             f"{lv['requests_per_s']} req/s, {lv['median_ms']} / {lv['p95_ms']} / {lv['p99_ms']} ms",
             f"p99 ≤ {TARGETS_MS['live_p99']} ms"),
            ("  same run, inside the API (its histogram): ≤ 5 / 10 / 50 ms",
             f"{within.get('5')} / {within.get('10')} / {within.get('50')} %", "-"),
            ("  same run, snapshot age served: median / max",
             f"{lv['snapshot_age_s']['median']} / {lv['snapshot_age_s']['max']} s", "-"),
        ]
    rows += [
        ("live refresh (LiveFigures.compute), median of 20 (max)",
         f"{q['live_compute']['median_ms']} ms ({q['live_compute']['max_ms']})", "< 500 ms (refresh period)"),
        ("API process: CPU over the run, peak RSS", f"{res['api_process']['cpu_s']} s, {res['api_process']['peak_rss_mb']} MB", "-"),
        ("CPU used by other processes of the machine during the run",
         f"{round(res['machine_cpu_s']['all_processes'] - res['machine_cpu_s']['this_benchmark'], 1)} s", "-"),
    ]
    for name, v in {**q["cubes"], **q["live"]}.items():
        bare = q["cubes_without_final"].get(name)
        rows.append((f"query {name}, median", f"{v['median_ms']} ms" + (f" ({v['rows']} rows)" if "rows" in v else "")
                     + (f"; without FINAL {bare['median_ms']} ms" if bare else ""), "-"))
    for name, v in q["cubes_without_final"].items():
        if name not in q["cubes"]:
            rows.append((f"query {name} without FINAL (a compacted period only), median", f"{v['median_ms']} ms", "-"))
    rows += [("the report's cube reads with FINAL at once (call_cube, ticket_cubes over two ranges of ids), median",
              f"{q['report_cubes_concurrent']['median_ms']} ms", "-"),
             ("assemble the report from the cubes (Python), median", f"{q['assemble_python']['median_ms']} ms", "-")]
    return rows


def write(res: dict, rows: list[tuple[str, str, str]]) -> None:
    out = REPO / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md = [f"# Query API benchmark ({res['date']}, {res['cores']} cores, scale {res['scale']})", "",
          f"`{res['command']}`: {res['note']}", "", "| measure | figure | target |", "|---|---|---|",
          *(f"| {a} | {b} | {c} |" for a, b, c in rows), ""]
    (out / "api.md").write_text("\n".join(md), encoding="utf-8")


def prune_open(ch, limit_s: float = 300) -> dict:
    """ticket_open as a running API keeps it (hotline/storage/open_tickets.py): the fill wrote every
    dispatched ticket's versions there through the view; prune until none of the minutes written
    so far is left (the open tickets are written again), as the API's pruner would over the next
    few minutes."""
    t = time.monotonic()
    newest = ch.execute("SELECT max(toUInt64(partition)) FROM system.parts WHERE database = %(d)s "
                        "AND table = 'ticket_open' AND active", {"d": DATABASE})[0][0]
    dropped = 0
    while time.monotonic() - t < limit_s:
        dropped += open_tickets.prune(ch, DATABASE)
        if not ch.execute("SELECT count() FROM system.parts WHERE database = %(d)s AND table = 'ticket_open' "
                          "AND active AND toUInt64(partition) <= %(p)s", {"d": DATABASE, "p": newest})[0][0]:
            break
        time.sleep(5)
    rows = ch.execute(f"SELECT count() FROM {DATABASE}.ticket_open")[0][0]
    return {"seconds": round(time.monotonic() - t, 1), "minutes_dropped": dropped, "rows_left": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", action="store_true", help="keep the filled database; reuse it when present")
    ap.add_argument("--live-clients", type=int, default=20)
    ap.add_argument("--live-seconds", type=float, default=20.0)
    args = ap.parse_args()
    scaled_volumes(args.scale)
    stack, chs = StackSettings(), ClickHouseSettings()
    clickhouse = LocalClickHouse(stack, chs)
    api = LocalService(stack, next(s for s in SERVICES if s.name == "api"))
    res: dict = {"date": dt.date.today().isoformat(), "cores": os.cpu_count(), "machine": platform.machine(),
                 "python": platform.python_version(), "scale": args.scale,
                 "command": " ".join([".venv/bin/python bench/api.py", *sys.argv[1:]]),
                 "note": "figures of one run; the load generator shares the machine's cores with the API and ClickHouse",
                 "targets_ms": TARGETS_MS}
    try:
        clickhouse.start()
        chp = Proc(clickhouse.pid())
        machine0, own0 = busy_cpu_s(), (time.process_time(), chp.cpu_s())
        admin = connect(chs, database=False)
        res["clickhouse_version"] = admin.execute("SELECT version()")[0][0]
        marker = f"{DATABASE}.bench_fill"
        have = admin.execute(f"EXISTS TABLE {marker}")[0][0] and admin.execute(f"SELECT scale, seconds FROM {marker}")
        if args.keep and have and have[0][0] == args.scale:
            res["fill"] = {"seconds": have[0][1], "skipped": "kept from an earlier run at this scale"}
        else:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            migrate(admin, DATABASE)
            res["fill"] = fill(admin)
            admin.execute(f"CREATE TABLE {marker} (scale Float64, seconds Float64) ENGINE = TinyLog")
            admin.execute(f"INSERT INTO {marker} (scale, seconds) VALUES", [(args.scale, res["fill"]["seconds"])])
        print(f"fill: {res['fill']}", flush=True)
        res["live_rows"] = refresh_live_rows(admin, args.scale)
        res["merge_wait_before_measuring_s"] = settle(admin, 120)
        res["open_prune"] = prune_open(admin)
        res["data"] = data_counts(admin)
        print(f"data: {json.dumps(res['data'])}", flush=True)
        reader = FactsReader(chs)
        try:
            res["queries"] = query_times(reader, 5)
        finally:
            reader.close()
        print("queries timed", flush=True)
        api.start()
        base = f"http://{api.settings.host}:{api.port}"
        wait_live(base)  # 503s until the first live snapshot: expected, not counted below
        log_start = api.log_path.stat().st_size
        ap_ = Proc(api.pid())
        cpu0 = ap_.cpu_s()
        res["annual_report"] = http_reports(admin, base, ap_, chp, cold_n=7, cached_n=200)
        print("reports measured", flush=True)
        res["live_runs"] = []
        for library in ("httpx", "aiohttp"):
            cpu1, hist = ap_.cpu_s(), live_histogram(base)
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                run = runner.run(live_load(base, args.live_clients, args.live_seconds, library, AUTH))
            run["api_cpu_s"] = round(ap_.cpu_s() - cpu1, 1)
            run["api_side"] = server_side(hist, live_histogram(base))
            res["live_runs"].append(run)
            print(f"live load ({library}) measured", flush=True)
        res["api_process"] = {"cpu_s": round(ap_.cpu_s() - cpu0, 1),
                              "peak_rss_mb": ap_.mem_mb()["VmHWM"], "rss_mb_at_end": ap_.mem_mb()["VmRSS"]}
        metrics = httpx.get(f"{base}/metrics").text
        res["api_metrics"] = [ln for ln in metrics.splitlines()
                              if ln.startswith(("hotline_api_report_compute_duration_seconds_sum",
                                                "hotline_api_report_compute_duration_seconds_count",
                                                "hotline_api_storage_errors_total"))]
        own = time.process_time() - own0[0] + chp.cpu_s() - own0[1] + ap_.cpu_s()
        res["machine_cpu_s"] = {"all_processes": round(busy_cpu_s() - machine0, 1), "this_benchmark": round(own, 1),
                                "note": "the difference is what other processes used meanwhile"}
        api.stop()  # before the database goes: its live refresh would query a missing table
        if not args.keep:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    finally:
        api.stop()
        clickhouse.stop()
    with open(api.log_path, "rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace").splitlines()
    res["api_log"] = {"path": str(api.log_path.relative_to(REPO)),
                      "error_lines": [ln for ln in log if "ERROR" in ln or "Traceback" in ln or "Exception" in ln][-20:],
                      "status_not_200": sum(1 for ln in log if '" 200' not in ln and "HTTP/1.1\"" in ln)}
    rows = table(res)
    width = max(len(a) for a, _, _ in rows)
    for a, b, c in rows:
        print(f"{a:<{width}}  {b:<40}  {c}")
    for p in res["annual_report"]["problems"][:10]:
        print("problem:", p)
    write(res, rows)


if __name__ == "__main__":
    main()
