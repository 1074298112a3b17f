"""The city-year benchmark's results as JSON and as the Markdown table docs/performance.md quotes."""

from __future__ import annotations

import json
from pathlib import Path

from bench.stages import windows


def table(stages: list[dict]) -> list[str]:
    out = ["| stage | events | wall s | events/s | CPU s | peak MB | notes |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in stages:
        out.append(f"| {r['stage']} | {r['events']:,} | {r['wall_s']:,.1f} | {r['events_per_s']:,.0f} | "
                   f"{r['cpu_s']:,.1f} | {r['peak_rss_mb']:,.0f} | {r['notes'].replace('|', '/')} |")
    return out


def latency_lines(lat: dict) -> list[str]:
    out = []
    for name, figures in lat.items():
        shown = {k: v for k, v in figures.items() if not isinstance(v, (dict, list)) and k != "what"}
        out.append(f"- **{name}**: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
        for k, v in figures.items():
            if isinstance(v, dict) and v and all(not isinstance(x, (dict, list)) for x in v.values()):
                out.append(f"  - {k}: " + ", ".join(f"{a} {b}" for a, b in v.items()))
        if figures.get("what"):
            out.append(f"  - how: {figures['what']}")
    return out


def markdown(res: dict) -> str:
    lines = [
        f"# A city-year through the platform and its alternatives ({res['date']})", "",
        f"`{res['command']}` at commit {res['commit']}: {res['cores']} cores ({res['cpu']}), Python "
        f"{res['python']}, ClickHouse {res.get('clickhouse_version', '?')}; profile {res['profile']} at scale "
        f"{res['scale']:g}, seed {res['seed']}, {'with' if res['previous_year'] else 'without'} the previous year; "
        f"{res['workers']} aggregate workers"
        f"{'' if res.get('alerts_in_stage_1', True) else '; the alerts service stopped before stage 1'}. "
        f"Whole run {res['total_wall_s']:,} s.", "",
        "CPU s and peak MB count the processes doing the stage's work (servers; stage 5 also the consumer); "
        "stages 1–3 count distinct events, 4–5 the messages in the topics.", "",
        *table(res["stages"]), "",
        "Ratios of events/s: " + ", ".join(f"{k} **{v}**" for k, v in res["ratios"].items() if v is not None), "",
    ]
    if res.get("history"):
        h = res["history"]
        lines += [f"History loaded before stage 1: {h['events']:,} events of {', '.join(map(str, h['years']))} "
                  f"(stored by the workers' own prepare and insert, facts built in SQL; {h['load_wall_s']:,} s; "
                  f"{h['event_rows']:,} event rows).", ""]
    if res.get("windows"):
        f = res.get("flatness") or {}
        lines += ["## Stage 1 by simulated month", "",
                  "Each window is one simulated month: events accepted per second, events accepted but not yet "
                  "in the event table at its end (behind), and CPU µs per event of each process; `servers` sums "
                  "them all but the simulator's (the load generator, on the same cores).", "",
                  *windows.table(res["windows"]), ""]
        if f:
            lines += [f"Last month ÷ first: **{f['last_over_first']}** ({f['last_events_per_s']:,} against "
                      f"{f['first_events_per_s']:,} events/s).", ""]
        server = windows.server_table(res["windows"])
        if server:
            lines += ["Inside ClickHouse per window: CPU µs per event of each kind of query (system.query_log), "
                      "the rest of the server's CPU (merges and other background work), and the seconds merges "
                      "took by table (system.part_log; threads' wall time, not CPU):", "", *server, ""]
    check = res.get("report_check")
    if check:
        lines += [f"Annual report after stage 1: {check['passed']} of {check['checked']} published figures within "
                  f"tolerance, {check['failed']} outside, {check['skipped']} not checked."
                  + ("" if not check["failed_paths"] else " Outside: " + "; ".join(check["failed_paths"][:10])), ""]
    if res.get("latency"):
        lines += ["## Latency", "", *latency_lines(res["latency"]), ""]
    return "\n".join(lines)


def write(res: dict, out: str) -> str:
    base = Path(out)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n")
    md = markdown(res)
    base.with_suffix(".md").write_text(md + "\n")
    return md
