"""Benchmark: the reads of the current year as earlier years are stored beside it.

    .venv/bin/python bench/history_reads.py [--scale 1.0] [--years 3] [--runs 7]

Starts its own ClickHouse (state in .state/bench-history, its own ports) and fills a database
straight in SQL with bench/api_facts.py's city-year of ticket facts (2023 at Huai'an's volumes,
5 % of the tickets with an older version, their newest versions in five later small inserts, as
after live refreshes), then adds 2022, 2021, … one at a time, each complete and compacted, as a
city's stack holds its past years; after each addition the current year's newest versions are
written again in small inserts (the same rows: nothing changes for a reader), so every step
reads a current year whose facts are still changing. At each step, alternating, `--runs` times:

- the annual report's four ticket cubes of 2023 read with FINAL, as the query API reads them
  (`ticket_cubes.sql` in two halves of the ids at once, split at the median of the period's
  tickets), from `ticket_facts` (partitioned by the year of the day in migration 0015, by its
  month since 0016), and
  the same from BEFORE, the same facts written and merged the same way in a table laid out as
  before 0015 (one partition), read as the API read it then (split at the median of every
  ticket stored);
- the report's read of 2023 beside 2022, with FINAL over both years (as the API reads it while
  2023 changes and 2022 is not compacted), from both tables; and from `ticket_facts` as the API
  reads it when 2022 is compacted, the first time (2023 with FINAL, only its partitions; 2022
  without FINAL, at once; the API then keeps 2022's cubes while its days stay unchanged);
- the live count of open dispatched tickets as it was before migration 0014 (over the facts:
  OLD_LIVE_OPEN below, the query that was services/api/sql/live_open.sql) and as it is (over
  `ticket_open`, kept as the API's pruner keeps it: the newest version of each open ticket).

Prints a table and writes docs/benchmarks/history-reads.{json,md}: medians and ranges in ms, and
the rows each read. Not a test: figures vary with what else runs on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.update({
    "HOTLINE_STATE_DIR": str(REPO / ".state" / "bench-history"), "HOTLINE_CLICKHOUSE_PORT": "19600",
    "HOTLINE_CLICKHOUSE_HTTP_PORT": "18623", "HOTLINE_CLICKHOUSE_DATABASE": "hotline_history",
})

import api_facts  # noqa: E402

from hotline.settings import ClickHouseSettings, StackSettings  # noqa: E402
from hotline.storage.client import connect  # noqa: E402
from hotline.storage.migrate import migrate  # noqa: E402
from services.api.facts_reader import FactsReader, _sql  # noqa: E402
from services.api.report.figures import ServiceLevel  # noqa: E402
from services.api.report.period import Period  # noqa: E402
from tooling.stack.clickhouse_server import LocalClickHouse  # noqa: E402

DATABASE = api_facts.DATABASE = "hotline_history"  # api_facts writes into its module's DATABASE
CURRENT = 2023
# The live count before migration 0014 read the facts: the candidates (every ticket with a version
# dispatched and not completed), then their newest versions.
OLD_LIVE_OPEN = f"""
SELECT count() AS open_dispatched, countIf(last_deadline_ms > 0 AND last_deadline_ms < %(now_ms)s) AS overdue
FROM
(
    SELECT ticket_id, argMax(handling, events) AS last_handling, argMax(completed, events) AS last_completed,
           argMax(deadline_ms, events) AS last_deadline_ms
    FROM {DATABASE}.ticket_facts
    WHERE ticket_id IN (SELECT ticket_id FROM {DATABASE}.ticket_facts WHERE dispatched = 1 AND completed = 0)
    GROUP BY ticket_id
)
WHERE last_handling = 'department' AND last_completed = 0"""
NEW_PARTS = [f"new{k}" for k in range(5)]
# The facts as they were laid out before migration 0015, and how the API split their read then:
# at the median of every ticket stored (ticket_id_split.sql before 0015).
BEFORE = "ticket_facts_before_0015"
OLD_SPLIT = f"""
SELECT arrayElement(arraySort(groupArray(ticket_id)) AS ids, intDiv(length(ids), 2) + 1)
FROM {DATABASE}.{BEFORE} WHERE modulo(cityHash64(ticket_id), 1024) = 0"""


def add_year(ch, year: int, n: int, current: bool) -> None:
    """A year of ticket facts: a past one complete and merged, the current one with its newest
    versions in small parts after the rest. The same rows and the same merges in ticket_facts
    and in BEFORE, so that the two differ in their partitions only."""
    for table in ("ticket_facts", BEFORE):
        for part in ("old", "base", *([] if current else NEW_PARTS)):
            ch.execute(api_facts.year_tickets_sql(year, n, part, table))
    if not current:
        for table in ("ticket_facts", BEFORE):  # every partition, as compaction merges them
            ch.execute(f"OPTIMIZE TABLE {DATABASE}.{table} FINAL")
    api_facts.settle(ch)
    for part in NEW_PARTS:  # the current year's latest versions again, each its own part
        for table in ("ticket_facts", BEFORE):
            ch.execute(api_facts.year_tickets_sql(CURRENT, api_facts.VOLUMES[CURRENT][0], part, table))


def keep_open_only(ch) -> int:
    """ticket_open as the API's pruner leaves it: the newest version of each open ticket."""
    ch.execute(f"TRUNCATE TABLE {DATABASE}.ticket_open")
    ch.execute(
        f"INSERT INTO {DATABASE}.ticket_open (ticket_id, events, open, deadline_ms, written) "
        f"SELECT ticket_id, events, toUInt8(1), deadline_ms, now() FROM {DATABASE}.ticket_facts FINAL "
        "WHERE dispatched = 1 AND handling = 'department' AND completed = 0")
    return ch.execute(f"SELECT count() FROM {DATABASE}.ticket_open")[0][0]


def rows_read(client, sql: str, params: dict) -> tuple[list, int]:
    """The query's result and the rows it read."""
    out = client.execute(sql, params)
    return out, client.last_query.progress.rows


def step(chs: ClickHouseSettings, runs: int) -> dict:
    """Every read of one step, alternating, `runs` rounds; medians (min–max) in ms."""
    reader = FactsReader(chs, pool_size=2)
    period = Period(dt.date(CURRENT, 1, 1), dt.date(CURRENT, 12, 31))
    sl = ServiceLevel(30, "offered", 0)
    p = reader._period_params(period, None, sl)
    p["split"] = reader.ticket_id_split(p)
    old = {**p, "split": reader.run(lambda c: c.execute(OLD_SPLIT))[0][0]}
    previous = Period(dt.date(CURRENT - 1, 1, 1), dt.date(CURRENT - 1, 12, 31))
    both = reader._period_params(period, previous, sl)
    both["split"] = reader.ticket_id_split(both)
    old_both = {**both, "split": old["split"]}
    before = {**reader._period_params(previous, None, sl), "split": ""}
    now = {"now_ms": int(dt.datetime(CURRENT, 12, 31, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)}
    halves = [connect(chs), connect(chs), connect(chs)]
    one = connect(chs)
    pool = ThreadPoolExecutor(3)

    def cubes(params: dict, table: str = "ticket_facts", unfinal: dict | None = None) -> int:
        """Rows read by ticket_cubes.sql with FINAL over `table` in two halves of the ids at once,
        and by the same without FINAL over all ids with `unfinal`'s parameters beside them."""
        def sql(final: bool, ids: str) -> str:
            return _sql("ticket_cubes", DATABASE, "month", final, ids).replace(".ticket_facts ", f".{table} ")
        jobs = [pool.submit(rows_read, c, sql(True, ids), params) for c, ids in zip(halves, ("below", "from"))]
        if unfinal is not None:
            jobs.append(pool.submit(rows_read, halves[2], sql(False, "all"), unfinal))
        return sum(job.result()[1] for job in jobs)

    reads = {
        "report_ticket_cubes_final": lambda: cubes(p),
        "report_ticket_cubes_final_before_0015": lambda: cubes(old, BEFORE),
        "report_with_previous_final": lambda: cubes(both),
        "report_with_previous_final_before_0015": lambda: cubes(old_both, BEFORE),
        "report_with_previous_by_year_split": lambda: cubes(p, unfinal=before),
        "live_open_before_0014": lambda: rows_read(one, OLD_LIVE_OPEN, now),
        "live_open": lambda: rows_read(one, _sql("live_open", DATABASE), now),
    }
    ms: dict[str, list[float]] = {k: [] for k in reads}
    rows: dict[str, int] = {}
    counts: dict[str, list] = {}
    for _ in range(runs):
        for name, read in reads.items():
            t = time.perf_counter()
            got = read()
            ms[name].append((time.perf_counter() - t) * 1000)
            if isinstance(got, tuple):  # a count: its figures and the rows it read
                counts[name], rows[name] = got
            else:
                rows[name] = got
    for c in (*halves, one):
        c.disconnect()
    pool.shutdown()
    reader.close()
    assert counts["live_open_before_0014"] == counts["live_open"], counts  # the two counts must agree
    out = {name: {"median_ms": round(statistics.median(v), 1), "min_ms": round(min(v), 1),
                  "max_ms": round(max(v), 1), "rows_read": rows[name], "n": len(v)} for name, v in ms.items()}
    out["open_dispatched"], out["overdue"] = counts["live_open"][0]
    return out



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--years", type=int, default=3, help="years stored at the last step, the current one included")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks" / "history-reads"))
    args = ap.parse_args()
    api_facts.scaled_volumes(args.scale)
    n = api_facts.VOLUMES[CURRENT][0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    res: dict = {"date": dt.date.today().isoformat(), "commit": commit, "cores": os.cpu_count(),
                 "python": platform.python_version(), "scale": args.scale, "runs": args.runs,
                 "command": "python bench/history_reads.py " + " ".join(sys.argv[1:]), "steps": []}
    chs = ClickHouseSettings()
    clickhouse = LocalClickHouse(StackSettings(), chs)
    try:
        clickhouse.start()
        ch = connect(chs, database=False)
        res["clickhouse_version"] = ch.execute("SELECT version()")[0][0]
        ch.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        migrate(ch, DATABASE)
        ch.execute(f"DROP TABLE {DATABASE}.ticket_open_mv")  # the bulk writes below: kept by keep_open_only
        ch.execute(f"CREATE TABLE {DATABASE}.{BEFORE} AS {DATABASE}.ticket_facts "
                   "ENGINE = ReplacingMergeTree(version) ORDER BY ticket_id")
        for k in range(args.years):
            year = CURRENT - k
            t = time.monotonic()
            add_year(ch, year, n if k == 0 else round(n * 1.1), current=k == 0)
            rows = ch.execute(f"SELECT count() FROM {DATABASE}.ticket_facts")[0][0]
            step_res = {"years": k + 1, "ticket_facts_rows": rows, "fill_s": round(time.monotonic() - t, 1),
                        "open_tickets_rows": keep_open_only(ch), **step(chs, args.runs)}
            res["steps"].append(step_res)
            print(json.dumps(step_res, ensure_ascii=False), flush=True)
        ch.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        ch.disconnect()
    finally:
        clickhouse.stop()
    write(res, Path(args.out))


def write(res: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def cell(d: dict) -> str:
        return f"{d['median_ms']} ({d['min_ms']}–{d['max_ms']}); {d['rows_read']:,} rows"

    md = [f"# The current year's reads against the years stored ({res['date']}, commit {res['commit']})", "",
          f"`{res['command']}`: {res['cores']} cores, ClickHouse {res.get('clickhouse_version')}, scale "
          f"{res['scale']}, {res['runs']} alternating rounds per step; ms median (min–max) and the rows each "
          "read (bench/history_reads.py says how the facts are made).", "",
          "| years stored | ticket facts rows | report 2023, ticket cubes with FINAL | the same before 0015 "
          "| live open count before 0014 | live open count (ticket_open) | open / overdue |",
          "|---:|---:|---|---|---|---|---|"]
    for s in res["steps"]:
        md.append(f"| {s['years']} | {s['ticket_facts_rows']:,} | {cell(s['report_ticket_cubes_final'])} | "
                  f"{cell(s['report_ticket_cubes_final_before_0015'])} | "
                  f"{cell(s['live_open_before_0014'])} | {cell(s['live_open'])} | {s['open_dispatched']:,} / "
                  f"{s['overdue']:,} |")
    md += ["", "The report of 2023 beside 2022 (see the module's docstring).", "",
           "| years stored | one FINAL read of both years | the same before 0015 | 2023 with FINAL, 2022 "
           "without, at once (the API's first read once 2022 is compacted) |", "|---:|---|---|---|"]
    for s in res["steps"]:
        md.append(f"| {s['years']} | {cell(s['report_with_previous_final'])} | "
                  f"{cell(s['report_with_previous_final_before_0015'])} | "
                  f"{cell(s['report_with_previous_by_year_split'])} |")
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
