"""Stage 1 in windows of simulated time: what each month of the year costs as the tables grow.

`Windows` is handed to the simulator as its progress (`update(events, sim_ms)` after every send
that the broker acknowledged): when the simulated month changes it marks the wall clock, the
events sent, the events already in ClickHouse and every process's CPU so far. Consecutive marks
make a window; its events/s and CPU µs per event of each process (ingest, broker, each worker,
ClickHouse, the API, the simulator) are the cost of that month against the history stored before
it. The last window ends at the last send (the catch-up after it is reported apart), so every
window measures the same thing: events accepted per second while the workers keep up, which the
`behind` column (events accepted but not yet in the event table at the window's end) shows.

Inside ClickHouse, `breakdown` splits each window by query kind (system.query_log) and merges by
table (system.part_log), when the bench stack's server writes those logs (bench/stages/stack.py).
Durations there are thread wall time, not CPU: they tell where the server's time went, not its
cost on a core.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bench.stages.common import cpu_s


@dataclass(frozen=True)
class Mark:
    month: str  # the simulated month that starts here, "2023-02"; "end" for the last send
    wall_s: float  # time.perf_counter()
    at: dt.datetime  # UTC wall clock, to cut the server's logs
    sent: int
    stored: int  # rows of the event table (history included)
    cpu: dict[str, float]  # process -> CPU seconds so far


@dataclass
class Windows:
    """`processes`: name -> pid; `stored` counts the event table's rows (one cheap query per
    month; the earlier years loaded before the run included)."""

    processes: Mapping[str, int]
    stored: Callable[[], int]
    tz: str
    marks: list[Mark] = field(default_factory=list)
    _month: str = ""
    _base: int = -1  # rows stored before the first send

    def __post_init__(self) -> None:
        self._base = self.stored()

    def update(self, sent: int, sim_ms: int) -> None:
        month = dt.datetime.fromtimestamp(sim_ms / 1000, ZoneInfo(self.tz)).strftime("%Y-%m")
        if month != self._month:
            # The send that crossed into `month` is counted in the window before: a few
            # thousand events of a month's ~900 k.
            self._month = month
            self.marks.append(self._mark(month, sent))

    def close(self) -> None:
        """Part of the progress protocol: the simulator calls it after its last send."""

    def end(self, sent: int) -> None:
        self.marks.append(self._mark("end", sent))

    def _mark(self, month: str, sent: int) -> Mark:
        return Mark(month, time.perf_counter(), dt.datetime.now(dt.timezone.utc), sent, self.stored(),
                    {name: cpu_s(pid) for name, pid in self.processes.items()})

    def rows(self) -> list[dict]:
        """One row per window: month, history (event rows stored at its start, millions), events,
        wall s, events/s, behind at its end, µs per event by process and of the servers (all
        but the simulator)."""
        out = []
        for a, b in zip(self.marks, self.marks[1:]):
            n = b.sent - a.sent
            if n <= 0:
                continue
            us = {name: round((b.cpu.get(name, 0.0) - a.cpu.get(name, 0.0)) / n * 1e6, 1) for name in a.cpu}
            wall = b.wall_s - a.wall_s
            out.append({"month": a.month, "history_m": round(a.stored / 1e6, 2),
                        "events": n, "wall_s": round(wall, 1), "events_per_s": round(n / wall),
                        "behind": max(b.sent - (b.stored - self._base), 0),
                        "us_per_event": us,
                        "us_per_event_servers": round(sum(v for k, v in us.items() if k != "simulator"), 1),
                        "from": a.at.isoformat(timespec="seconds"), "to": b.at.isoformat(timespec="seconds")})
        return out


def whole_months(rows: list[dict]) -> list[dict]:
    """The windows but a tail: one with under a quarter of the median window's events (the late
    events of the month after the year), whose rate compares with nothing."""
    if not rows:
        return []
    median = sorted(r["events"] for r in rows)[len(rows) // 2]
    return [r for r in rows if r["events"] * 4 >= median]


def flatness(rows: list[dict]) -> dict:
    """The last whole month's rate against the first's (the target: at least 0.9), and the same
    for the µs per event the servers spent."""
    whole = whole_months(rows)
    if len(whole) < 2:
        return {}
    first, last = whole[0], whole[-1]
    return {"first_month": first["month"], "last_month": last["month"],
            "first_events_per_s": first["events_per_s"], "last_events_per_s": last["events_per_s"],
            "last_over_first": round(last["events_per_s"] / first["events_per_s"], 3),
            "first_us_per_event_servers": first["us_per_event_servers"],
            "last_us_per_event_servers": last["us_per_event_servers"]}


# Query kinds by the start of their text (the aggregate's and API's statements are fixed); % is
# doubled: the driver substitutes parameters with Python's % formatting.
_KIND = """multiIf(
    query LIKE 'INSERT INTO %%.events %%', 'insert events',
    query LIKE 'INSERT INTO %%.facts_changes%%', 'mark changes',
    query LIKE 'INSERT INTO %%.call_facts%%', 'refresh call facts',
    query LIKE 'INSERT INTO %%.ticket_facts%%', 'refresh ticket facts',
    query LIKE 'INSERT INTO %%.ticket_open%%', 'prune ticket_open',
    query LIKE 'SELECT%%.ticket_open%%', 'live open count',
    query LIKE 'SELECT%%last_status%%.call_facts%%', 'live call figures',
    query LIKE 'SELECT%%last_source%%.ticket_facts%%', 'live ticket figures',
    query LIKE 'SELECT%%', 'reads (API, alerts, compactor, bench)',
    'other')"""


# The CPU a query's threads used (18.16 counts it per query from the threads' rusage).
_CPU_US = ("ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')] "
           "+ ProfileEvents.Values[indexOf(ProfileEvents.Names, 'SystemTimeMicroseconds')]")


def breakdown(client, database: str, rows: list[dict]) -> None:
    """Add `queries` (by kind: count, seconds, CPU seconds, rows read) and `merges` (by table:
    count, seconds, rows) to each window row; leaves them out when the server keeps no such
    logs. What ClickHouse spent outside queries (merges, mostly) is its CPU in the window less
    the queries' CPU."""
    try:
        client.execute("SYSTEM FLUSH LOGS")
    except Exception:  # a server without the logs: the windows stand without the breakdown
        return
    for row in rows:
        span = {"a": _naive(row["from"]), "b": _naive(row["to"]), "db": database}
        try:
            row["queries"] = {k: {"n": n, "s": round(ms / 1000, 1), "cpu_s": round(us / 1e6, 1), "read_rows": r}
                              for k, n, ms, us, r in client.execute(
                f"SELECT {_KIND} AS kind, count(), sum(query_duration_ms), sum({_CPU_US}), sum(read_rows) "
                "FROM system.query_log WHERE type = 2 AND event_time >= %(a)s AND event_time < %(b)s "
                "GROUP BY kind ORDER BY kind", span)}
            row["merges"] = {t: {"n": n, "s": round(ms / 1000, 1), "rows": r} for t, n, ms, r in client.execute(
                "SELECT table, count(), sum(duration_ms), sum(rows) FROM system.part_log "
                "WHERE event_type = 2 AND database = %(db)s AND event_time >= %(a)s AND event_time < %(b)s "
                "GROUP BY table ORDER BY table", span)}
        except Exception as exc:  # noqa: BLE001 - the windows are worth keeping without it
            row["breakdown_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            return


def _naive(iso: str) -> dt.datetime:
    """The server's DateTime parameters are naive, in its time zone (UTC in the stack's config)."""
    return dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc).replace(tzinfo=None)


def table(rows: list[dict]) -> list[str]:
    """The windows as Markdown: one row per month, µs per event by process."""
    if not rows:
        return []
    names = list(rows[0]["us_per_event"])
    out = ["| month | history (M event rows) | events | wall s | events/s | behind | µs/event servers | "
           + " | ".join(names) + " |", "|---|" + "---:|" * (6 + len(names))]
    for r in rows:
        out.append(f"| {r['month']} | {r['history_m']:.2f} | {r['events']:,} | {r['wall_s']:.1f} | "
                   f"{r['events_per_s']:,} | {r['behind']:,} | {r['us_per_event_servers']:.1f} | "
                   + " | ".join(f"{r['us_per_event'].get(n, 0):.1f}" for n in names) + " |")
    return out


def server_table(rows: list[dict]) -> list[str]:
    """Inside ClickHouse per window, µs per event: CPU of each query kind, and the rest of the
    server's CPU (merges and other background work); then merge seconds by table."""
    kinds = sorted({k for r in rows for k in r.get("queries", {})})
    tables = sorted({t for r in rows for t in r.get("merges", {})})
    if not kinds and not tables:
        return []
    out = ["| month | " + " | ".join([*(f"{k} µs" for k in kinds), "background µs",
                                      *(f"merge {t} s" for t in tables)]) + " |",
           "|---|" + "---:|" * (len(kinds) + 1 + len(tables))]
    for r in rows:
        q, m, n = r.get("queries", {}), r.get("merges", {}), r["events"]
        cpu = {k: q.get(k, {}).get("cpu_s", 0.0) for k in kinds}
        rest = r["us_per_event"].get("clickhouse", 0.0) - sum(cpu.values()) / n * 1e6
        out.append(f"| {r['month']} | " + " | ".join(
            [*(f"{cpu[k] / n * 1e6:.1f}" for k in kinds), f"{rest:.1f}", *(f"{m.get(t, {}).get('s', 0):.1f}" for t in tables)])
            + " |")
    return out
