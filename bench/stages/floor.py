"""The physical floor: simulated events loaded straight into ClickHouse, facts built in SQL.

    .venv/bin/python -m bench.stages.floor --scale 0.01

No broker and no Python in the load path: the events are turned into `events` rows (NDJSON)
beforehand, by the platform's own code (contract validation, caller hash, enrichment with W(t),
hotline.storage.event_rows.to_row), then timed are (1) `clickhouse-client … INSERT INTO events
FORMAT JSONEachRow` reading that file, which also folds the per-entity state through the
materialized views of the migrations, and (2) the project's facts rebuild (`hotline rebuild`,
hotline.storage.facts.rebuild) over that state. The other stages are read as fractions of these
figures. One insert keeps about one core busy (the server sorts and folds each block on one
thread), so with `clients=N` the rows go in as N parallel inserts: on 2 cores that is the floor
no path through the platform can beat, the single insert is the issue's literal command.

Runs its own ClickHouse (private state dir and ports, so no other stack is touched), drops and
re-migrates its database each run, stops the server at the end, also on error. The rows file
is cached in `workdir` per (scale, seed); preparing it is not timed (it is the input).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
from pathlib import Path

import orjson

from bench.stages.common import StageResult, measure
from hotline.calendar import CalendarNotCovered, for_timezone
from hotline.contract import InvalidEvent, validate_event
from hotline.events import to_record
from hotline.privacy import scrub_caller
from hotline.settings import REPO_ROOT, CitySettings, ClickHouseSettings, KafkaSettings, PrivacySettings, StackSettings
from hotline.simulator import profile
from hotline.simulator.generator import Stats, generate
from hotline.stack.clickhouse_server import LocalClickHouse
from hotline.storage import facts
from hotline.storage.client import connect
from hotline.storage.event_rows import EVENT_COLUMNS
from hotline.storage.migrate import migrate

STATE_DIR = REPO_ROOT / ".state" / "bench-floor"
PORT, HTTP_PORT = 19700, 18723  # beside the other stacks' ports (bench: 19300, dev: 9000)
PROFILE = "huaian-2023"
DATETIME = "%Y-%m-%d %H:%M:%S"  # ClickHouse 18.16 text DateTime (the server's zone is UTC)


def prepare_rows(path: Path, scale: float, seed: int, with_previous: bool) -> dict:
    """Write the simulated events as NDJSON `events` rows, exactly as the aggregate worker would
    insert them (services/aggregate/prepare.py); returns the ground truth. Kafka coordinates are
    made up (one partition per topic, offsets in order): nothing downstream reads them."""
    tz = CitySettings().timezone
    calendar, key, kafka = for_timezone(tz), PrivacySettings().hash_key, KafkaSettings()
    ingested_at = dt.datetime.now(dt.timezone.utc).strftime(DATETIME)
    stats, offsets, ids, rejected = Stats(), {"call": 0, "ticket": 0}, set(), 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for _, event in generate(profile.load(PROFILE), scale=scale, seed=seed,
                                 with_previous=with_previous, stats=stats):
            try:
                r = to_record(scrub_caller(validate_event(event), key), calendar)
            except (InvalidEvent, CalendarNotCovered):
                rejected += 1  # the platform dead-letters these; they never reach `events`
                continue
            topic = kafka.topic_calls if r.entity == "call" else kafka.topic_tickets
            row = dict(zip(EVENT_COLUMNS, (
                r.entity, r.subject, r.source, r.id, r.type,
                dt.datetime.fromtimestamp(r.time_ms // 1000, dt.timezone.utc).strftime(DATETIME),
                r.time_ms, r.local_date.isoformat(), r.work_s,
                # data and extensions are JSON text inside the row, compact as event_rows writes them
                orjson.dumps(r.data).decode(), orjson.dumps(r.extensions).decode(),
                r.deadline_ms, list(r.tags), topic, 0, offsets[r.entity], ingested_at,
            )))
            offsets[r.entity] += 1
            ids.add((r.source, r.id))
            out.write(orjson.dumps(row) + b"\n")
    tmp.rename(path)
    truth = {"rows": sum(offsets.values()), "distinct_events": len(ids), "rejected": rejected,
             "calls": sum(stats.calls.values()), "tickets": sum(stats.tickets.values())}
    path.with_suffix(".truth.json").write_text(json.dumps(truth))
    return truth


def rows_file(workdir: Path, scale: float, seed: int, with_previous: bool) -> tuple[Path, dict]:
    path = workdir / f"floor-rows-{PROFILE}-s{scale:g}-seed{seed}{'-prev' if with_previous else ''}.ndjson"
    truth = path.with_suffix(".truth.json")
    if path.exists() and truth.exists():
        return path, json.loads(truth.read_text())
    workdir.mkdir(parents=True, exist_ok=True)
    return path, prepare_rows(path, scale, seed, with_previous)


def split_rows(path: Path, clients: int) -> list[Path]:
    """The rows file in `clients` line-aligned, time-ordered slices (coreutils split, untimed)."""
    if clients == 1:
        return [path]
    parts = [path.with_name(f"{path.name}.of{clients}.{i:02d}") for i in range(clients)]
    if not all(p.exists() for p in parts) or sum(p.stat().st_size for p in parts) != path.stat().st_size:
        subprocess.run(["split", "-n", f"l/{clients}", "-d", "-a", "2", str(path), f"{path}.of{clients}."], check=True)
    return parts


def load(ch: ClickHouseSettings, parts: list[Path]) -> None:
    """One clickhouse-client insert per slice, all at once. The client parses the JSON and cuts
    it into blocks of max_insert_block_size rows (1 M by default, large as ARCHITECTURE.md
    advises); the server sorts each block and folds it through the views, on one core per insert,
    hence the parallel clients."""
    argv = ["clickhouse-client", "--host", ch.host, "--port", str(ch.port), "--user", ch.user,
            "--query", f"INSERT INTO {ch.database}.events FORMAT JSONEachRow"]
    if ch.password.get_secret_value():
        argv += ["--password", ch.password.get_secret_value()]
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


def verify(client, db: str, truth: dict) -> str:
    """The facts must be the platform's: one row per generated call and ticket, and every
    distinct event folded exactly once (facts' `events` = uniqExact(source, id))."""
    q = "SELECT count(), uniqExact({e}_id), sum(events) FROM {db}.{e}_facts FINAL"
    (c_rows, c_ids, c_ev), = client.execute(q.format(e="call", db=db))
    (t_rows, t_ids, t_ev), = client.execute(q.format(e="ticket", db=db))
    (stored,), = client.execute(f"SELECT count() FROM {db}.events")
    problems = [f"{what}: {got} != {want}" for what, got, want in (
        ("events rows", stored, truth["rows"]), ("call_facts rows", c_rows, truth["calls"]),
        ("call ids", c_ids, truth["calls"]), ("ticket_facts rows", t_rows, truth["tickets"]),
        ("ticket ids", t_ids, truth["tickets"]), ("sum(facts.events)", c_ev + t_ev, truth["distinct_events"]),
    ) if got != want]
    if problems:
        raise AssertionError("floor facts differ from the ground truth: " + "; ".join(problems))
    return f"verified: {c_rows} calls, {t_rows} tickets, {c_ev + t_ev} events folded"


def run(scale: float, seed: int = 1, workdir: Path = STATE_DIR / "work", *,
        with_previous: bool = True, clients: int = 1) -> list[StageResult]:
    if clients < 1:
        raise ValueError(f"clients must be at least 1, not {clients}")
    path, truth = rows_file(workdir, scale, seed, with_previous)
    parts = split_rows(path, clients)
    n = truth["rows"]
    ch = ClickHouseSettings(port=PORT, http_port=HTTP_PORT)
    tz = CitySettings().timezone
    server = LocalClickHouse(StackSettings(state_dir=STATE_DIR), ch)
    server.start()
    try:
        pid = server.pid()
        assert pid is not None, "started just above"
        client = connect(ch, database=False)
        client.execute(f"DROP DATABASE IF EXISTS {ch.database}")  # a fresh archive each run
        migrate(client, ch.database)
        with measure([pid]) as m_load:  # the server's CPU and memory; the client's CPU as a reaped child
            load(ch, parts)
        with measure([pid]) as m_facts:
            for entity in ("call", "ticket"):  # what `hotline rebuild` does; state came from the views
                facts.rebuild(client, ch.database, tz, entity)
        checked = verify(client, ch.database, truth)
        client.disconnect()
    finally:
        server.stop()
    mb = path.stat().st_size / 2**20
    results = [
        m_load.result("floor: JSONEachRow load", n,
                      f"{mb:.0f} MiB NDJSON, {clients} client(s); state folded by the views on insert"),
        m_facts.result("floor: facts rebuild", n, checked),
    ]
    a, b = results
    wall = a.wall_s + b.wall_s
    results.append(StageResult("floor: load + facts", n, round(wall, 3), round(n / wall), round(a.cpu_s + b.cpu_s, 2),
                               max(a.peak_rss_mb, b.peak_rss_mb), f"scale {scale:g}, seed {seed}"))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=STATE_DIR / "work")
    ap.add_argument("--clients", type=int, default=1, help="parallel clickhouse-client inserts (slices of the rows)")
    ap.add_argument("--no-previous", action="store_true", help="only the profile's year, not the year before")
    args = ap.parse_args()
    results = run(args.scale, args.seed, args.workdir, with_previous=not args.no_previous, clients=args.clients)
    print(f"{'stage':<26} {'events':>10} {'wall s':>8} {'events/s':>10} {'CPU s':>7} {'peak MB':>8}  notes")
    for r in results:
        print(f"{r.stage:<26} {r.events:>10} {r.wall_s:>8.2f} {r.events_per_s:>10.0f} {r.cpu_s:>7.2f} "
              f"{r.peak_rss_mb:>8.0f}  {r.notes}")


if __name__ == "__main__":
    main()
