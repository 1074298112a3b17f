"""Stage 3, the physical floor: the same events as rows, loaded with clickhouse-client straight
into the event table (no broker, no Python on the load path), then the facts built in SQL.

The rows are the platform's own: the `events` rows stage 2 wrote (validated, caller hashed,
enriched with the local date and W(t)), exported as JSONEachRow before the clock starts. Timed
are (1) `clickhouse-client --query "INSERT INTO floor.events FORMAT JSONEachRow"` reading that
file, which also folds the per-entity state through the migrations' materialized views, and
(2) the facts rebuild (`hotline rebuild`: hotline.storage.facts.rebuild) over that state. One
insert keeps about one core busy (the server sorts and folds each block on one thread), so the
rows go in as `clients` parallel inserts: on 2 cores, 2 is the floor no path can beat.

Uses the stack's ClickHouse with a database of its own, dropped at the end.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.stages.common import StageResult, measure
from bench.stages.platform import Sent
from hotline.settings import ClickHouseSettings
from hotline.storage import facts, work_calendar
from hotline.storage.client import connect
from hotline.storage.event_rows import EVENT_COLUMNS
from hotline.storage.migrate import migrate

DATABASE = "hotline_floor"


def _client_argv(ch: ClickHouseSettings, query: str) -> list[str]:
    argv = ["clickhouse-client", "--host", ch.host, "--port", str(ch.port), "--user", ch.user, "--query", query]
    if ch.password.get_secret_value():
        argv += ["--password", ch.password.get_secret_value()]
    return argv


def export_rows(ch: ClickHouseSettings, path: Path, clients: int) -> tuple[list[Path], int]:
    """The platform's `events` rows as `clients` NDJSON slices of about equal size (untimed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"`{c}`" for c in EVENT_COLUMNS)
    with path.open("wb") as out:
        subprocess.run(_client_argv(ch, f"SELECT {columns} FROM {ch.database}.events FORMAT JSONEachRow"),
                       stdout=out, check=True)
    for old in path.parent.glob(path.name + ".part*"):
        old.unlink()
    if clients == 1:
        parts = [path]
    else:
        subprocess.run(["split", "-n", f"l/{clients}", "-d", "-a", "2", str(path), f"{path}.part"], check=True)
        parts = sorted(path.parent.glob(path.name + ".part*"))
    rows = sum(1 for _ in path.open("rb"))
    return parts, rows


def load(ch: ClickHouseSettings, parts: list[Path]) -> None:
    """One clickhouse-client insert per slice, all at once."""
    argv = _client_argv(ch, f"INSERT INTO {DATABASE}.events FORMAT JSONEachRow")
    files = [p.open("rb") for p in parts]
    try:
        procs = [subprocess.Popen(argv, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for f in files]
        errors = [p.communicate()[1].decode(errors="replace")[-1000:] for p in procs]
    finally:
        for f in files:
            f.close()
    failed = [(p.returncode, e) for p, e in zip(procs, errors) if p.returncode != 0]
    if failed:
        raise RuntimeError(f"clickhouse-client failed: {failed}")


def verify(client, sent: Sent, rows: int) -> str:
    """The floor's facts must be the platform's: one row per simulated call and ticket, every
    distinct event folded once."""
    q = "SELECT count(), sum(events) FROM {db}.{e}_facts FINAL"
    (calls, c_ev), = client.execute(q.format(db=DATABASE, e="call"))
    (tickets, t_ev), = client.execute(q.format(db=DATABASE, e="ticket"))
    (stored,), = client.execute(f"SELECT count() FROM {DATABASE}.events")
    problems = [f"{what} {got:,} != {want:,}" for what, got, want in (
        ("events rows", stored, rows), ("call facts", calls, sent.calls), ("ticket facts", tickets, sent.tickets),
        ("events folded", c_ev + t_ev, sent.distinct_events)) if got != want]
    if problems:
        raise AssertionError("the floor's facts differ from the simulation's ground truth: " + "; ".join(problems))
    return f"facts = ground truth ({calls:,} calls, {tickets:,} tickets)"


def run(ch: ClickHouseSettings, tz: str, sent: Sent, workdir: Path, server_pid: int, clients: int = 2,
        say=print) -> list[StageResult]:
    if clients < 1:
        raise ValueError(f"clients must be at least 1, not {clients}")
    path = workdir / "floor-events.ndjson"
    parts, rows = export_rows(ch, path, clients)
    mb = path.stat().st_size / 2**20
    say(f"  exported {rows:,} event rows ({mb:,.0f} MiB NDJSON)")
    client = connect(ch, database=False)
    try:
        client.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        migrate(client, DATABASE)
        work_calendar.sync(client, DATABASE, tz)  # handling times need the calendar in force
        with measure([server_pid]) as m_load:  # the server, plus the clients as reaped children
            load(ch, parts)
        with measure([server_pid]) as m_facts:
            for entity in ("call", "ticket"):
                facts.rebuild(client, DATABASE, tz, entity)
        checked = verify(client, sent, rows)
        client.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    finally:
        client.disconnect()
    for p in {path, *parts}:
        p.unlink(missing_ok=True)
    n = sent.distinct_events
    a = m_load.result("3a floor: JSONEachRow load", n, f"{rows:,} rows, {mb:,.0f} MiB, {clients} parallel "
                                                        "clickhouse-client inserts; state folded by the views")
    b = m_facts.result("3b floor: facts in SQL", n, checked)
    wall = a.wall_s + b.wall_s
    total = StageResult("3 floor: load + facts", n, round(wall, 3), round(n / wall), round(a.cpu_s + b.cpu_s, 2),
                        max(a.peak_rss_mb, b.peak_rss_mb), "no broker, no Python")
    return [total, a, b]
