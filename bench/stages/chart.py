"""The cost-against-history chart of `./run bench`: each run's monthly windows, events/s and CPU
µs per event (the servers but the alerts service, ClickHouse, the alerts service) against the
event rows already stored (docs/benchmarks/city-year-windows.svg).

    .venv/bin/python -m bench.stages.chart docs/benchmarks/city-year.json \
        docs/benchmarks/city-year-history.json -o docs/benchmarks/city-year-windows.svg
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from bench.stages.windows import whole_months
from bench.svg import chart



def lines(run: dict) -> dict[str, list[tuple[float, float]]]:
    """A run's windows as (history in M event rows, value) series."""
    label = f"{len(run['history']['years'])} earlier years" if run.get("history") else "empty start"
    rows = whole_months(run.get("windows") or [])
    def servers_but_alerts(r: dict) -> float:
        return r["us_per_event_servers"] - r["us_per_event"].get("alerts", 0.0)

    return {f"k events/s, {label}": [(r["history_m"], r["events_per_s"] / 1000) for r in rows],
            f"µs/event servers but alerts, {label}": [(r["history_m"], servers_but_alerts(r)) for r in rows],
            f"µs/event ClickHouse, {label}": [(r["history_m"], r["us_per_event"].get("clickhouse", 0.0)) for r in rows],
            f"µs/event alerts, {label}": [(r["history_m"], r["us_per_event"].get("alerts", 0.0)) for r in rows]}


def write(runs: Sequence[str | Path], svg: str | Path) -> None:
    series: dict[str, list[tuple[float, float]]] = {}
    commits = []
    for path in runs:
        run = json.loads(Path(path).read_text())
        if run.get("windows"):
            series.update(lines(run))
            commits.append(run.get("commit", "?"))
    if not series:
        return
    Path(svg).write_text(chart(f"Stage 1 by simulated month against history ({', '.join(dict.fromkeys(commits))})",
                               "event rows already stored (millions)", "k events/s; CPU µs per event",
                               series, x_log=False, width=900, height=460))


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.stages.chart", description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="city-year JSON records of ./run bench")
    ap.add_argument("-o", "--out", required=True, help="the SVG to write")
    args = ap.parse_args()
    write(args.runs, args.out)


if __name__ == "__main__":
    main()
