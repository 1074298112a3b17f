"""`./run alerts-eval`: the early-warning detectors evaluated on a simulated city-year.

    .venv/bin/python -m bench.alerts_eval [--profile huaian-2023] [--seed 1] [--injections 300]

Writes docs/benchmarks/alerts-eval.json and the AMOC-style picture docs/alerts-amoc.svg; the
figures are quoted in docs/alerts.md. Not a test: it takes minutes (the background year is
generated once and cached under the state folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from bench.alerts_eval import background, clusters, pingpongs, surges
from bench.svg import chart
from hotline.settings import REPO_ROOT, StackSettings
from services.alerts.detect import surge
from services.alerts.detect.grid import build_grid
from tooling.simulator.inject import surge_extra

THRESHOLDS = [6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0]
C2_Z = [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 16.0]
CLASSES = {"20+ a day": (20.0, float("inf")), "5-20 a day": (5.0, 20.0)}
FACTORS = (2.0, 3.0)
HOLIDAYS = {"春节": "2023-01-16", "清明": "2023-04-03", "劳动节": "2023-05-01", "端午": "2023-06-19",
            "中秋国庆": "2023-09-25", "国庆": "2023-10-02"}  # the Monday of each holiday week of 2023


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="alerts-eval")
    ap.add_argument("--profile", default="huaian-2023")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", default="2022-10-01", help="first simulated day (the baseline's warm-up)")
    ap.add_argument("--evaluate-from", default="2023-01-01")
    ap.add_argument("--last", default="2023-12-31")
    ap.add_argument("--injections", type=int, default=300, help="per size class and factor")
    ap.add_argument("--hours", type=int, default=72, help="a surge's length")
    ap.add_argument("--out", default=str(REPO_ROOT / "docs" / "benchmarks" / "alerts-eval.json"))
    ap.add_argument("--svg", default=str(REPO_ROOT / "docs" / "alerts-amoc.svg"))
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    cache = StackSettings().state_dir / "alerts-eval"
    bg = background.collect(args.profile, args.seed, dt.date.fromisoformat(args.first),
                            dt.date.fromisoformat(args.last), cache)
    print(f"background: {bg.events:,} events, {bg.tickets:,} tickets, {len(bg.placed):,} placed, "
          f"{len(bg.steps):,} steps ({time.monotonic() - t0:.0f} s)", flush=True)
    tz = ZoneInfo(bg.timezone)
    first_ms, hours = background.hour_range(bg)
    grid = build_grid(bg.rows, first_ms, hours, tz)
    eval_day = dt.date.fromisoformat(args.evaluate_from)
    evaluate_from = (dt.date.fromisoformat(args.evaluate_from) - bg.first).days * 24
    weeks = (hours - evaluate_from) / 168
    params = surge.SurgeParams()
    report: dict = {"command": "./run alerts-eval " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "profile": args.profile, "seed": args.seed, "period": [args.first, args.last],
                    "evaluated_from": args.evaluate_from, "weeks": round(weeks, 2), "tickets": bg.tickets,
                    "series": {"total": len(grid.series), "watched": int(surges.c2_watched(grid, params).sum())},
                    "params": {k: v for k, v in params.__dict__.items() if k != "levels"}}
    sizes = grid.counts.sum(axis=1) / len(grid.days.dates)
    report["series"].update({name: int(((sizes >= lo) & (sizes < hi)).sum()) for name, (lo, hi) in CLASSES.items()})

    # Clean year: false episodes per week, by threshold; week by week at the default.
    clean = surges.clean_episodes(grid, params, evaluate_from, THRESHOLDS + [params.threshold])
    per_week = surges.weeks_of(grid, [r.detected for r in clean[params.threshold]])
    first_day = (eval_day - bg.first).days
    c2_clean = surges.c2_clean(grid, params, first_day, C2_Z)
    budget = len(clean[params.threshold])
    z = surges.budget_z(grid, params, first_day, budget)
    report["surge_clean"] = {
        "episodes_by_threshold": {str(h): len(r) for h, r in clean.items()},
        "per_week_at_default": {"mean": round(budget / weeks, 2), "max": max(per_week.values(), default=0),
                                "holiday_weeks": {name: per_week.get(monday, 0) for name, monday in HOLIDAYS.items()}},
        "c2_episodes_by_z": {str(k): v for k, v in c2_clean.items()},
        "c2_z_at_same_budget": round(z, 3),
    }
    print(f"surges, clean: {budget} episodes at h={params.threshold} ({budget / weeks:.2f}/week, busiest week "
          f"{max(per_week.values(), default=0)}); C2 at the same budget: z={z:.2f}", flush=True)

    # Injections, at random series of each size class and random hours of the evaluated year.
    rng = np.random.default_rng([args.seed, 19])
    cat_levels = {i for i, lv in enumerate(grid.levels) if lv in ("category_district", "subcategory_district")}
    results: dict = {}
    for name, (lo, hi) in CLASSES.items():
        candidates = [i for i in np.flatnonzero((sizes >= lo) & (sizes < hi)) if i in cat_levels]
        for factor in FACTORS:
            rows = []
            for _ in range(args.injections):
                s = int(rng.choice(candidates))
                start = int(rng.integers(evaluate_from + 24, hours - args.hours - 7 * 24))
                inj = surges.inject(grid, s, start, args.hours, factor, rng, surge_extra)
                rows.append(surges.detect_injected(grid, inj, params, evaluate_from, THRESHOLDS + [params.threshold], z,
                                                   first_day, tuple(C2_Z)))
            results[f"{name}, {factor:g}x"] = rows
            d = [r["ours"][params.threshold] for r in rows]
            print(f"  {name}, {factor:g}x: within 24 h {_share(d, 24):.0%}, 72 h {_share(d, 72):.0%}; "
                  f"C2 {_share([r['c2'] for r in rows], 24):.0%} / {_share([r['c2'] for r in rows], 72):.0%}", flush=True)
    report["surge_injected"] = {key: _summary(rows, params.threshold) for key, rows in results.items()}
    report["surge_amoc"] = {
        key: [{"threshold": h, "false_per_week": round(len(clean[h]) / weeks, 3),
               "within_24h": _share([r["ours"][h] for r in rows], 24), "within_72h": _share([r["ours"][h] for r in rows], 72),
               "median_delay_h": _median([r["ours"][h] for r in rows])} for h in THRESHOLDS]
        for key, rows in results.items()}
    report["c2_amoc"] = {
        key: [{"z": zz, "false_per_week": round(c2_clean[zz] / weeks, 3),
               "within_24h": _share([r["c2_by_z"][zz] for r in rows], 24),
               "within_72h": _share([r["c2_by_z"][zz] for r in rows], 72),
               "median_delay_h": _median([r["c2_by_z"][zz] for r in rows])} for zz in C2_Z]
        for key, rows in results.items()}

    report["clusters"] = clusters.evaluate(bg, tz, first_ms, evaluate_from, hours, args.injections, rng)
    print(f"clusters: {json.dumps(report['clusters'], ensure_ascii=False)}", flush=True)
    report["pingpong"] = pingpongs.evaluate(bg, tz, first_ms, evaluate_from, hours, args.injections, rng)
    print(f"ping-pong: {json.dumps(report['pingpong'], ensure_ascii=False)}", flush=True)
    # Every kind together, week by week (a clean year: every episode is a false one).
    hour_of = lambda ms: (ms - first_ms) // 3_600_000  # noqa: E731
    together = dict(per_week)
    for ms in report["clusters"].pop("clean_detected_ms"):
        for monday, n in surges.weeks_of(grid, [hour_of(ms)]).items():
            together[monday] = together.get(monday, 0) + n
    report["all_kinds_clean"] = {"episodes": sum(together.values()),
                                 "per_week_mean": round(sum(together.values()) / weeks, 2),
                                 "busiest_week": max(together.items(), key=lambda kv: kv[1], default=("", 0))}
    print(f"every kind, clean: {report['all_kinds_clean']}", flush=True)
    report["seconds"] = round(time.monotonic() - t0, 1)

    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    lines = {f"{key}": [(p["false_per_week"], p["median_delay_h"]) for p in pts if p["median_delay_h"] is not None]
             for key, pts in report["surge_amoc"].items()}
    lines.update({f"{key} (C2)": [(p["false_per_week"], p["median_delay_h"]) for p in pts if p["median_delay_h"] is not None]
                  for key, pts in report["c2_amoc"].items()})
    Path(args.svg).write_text(chart("Surges: median delay (a miss counts as 7 days) against false episodes a week",
                                    "false alert episodes per week (clean year, all watched series)",
                                    "median delay (hours)", lines))
    share = {f"{key}": [(p["false_per_week"], 100 * p["within_72h"]) for p in pts] for key, pts in report["surge_amoc"].items()}
    share.update({f"{key} (C2)": [(p["false_per_week"], 100 * p["within_72h"]) for p in pts]
                  for key, pts in report["c2_amoc"].items()})
    Path(args.svg.replace(".svg", "-72h.svg")).write_text(chart(
        "Surges: detected within 72 h against false episodes a week", "false alert episodes per week (clean year)",
        "detected within 72 h (%)", share))
    print(f"written {args.out} and {args.svg} ({report['seconds']:.0f} s)")
    return 0


def _share(delays: list, within: int) -> float:
    return round(sum(1 for d in delays if d is not None and d <= within) / max(len(delays), 1), 3)


def _median(delays: list, miss: float = 7 * 24) -> float:
    """The median delay, a miss counting as `miss` hours (so a detector that finds little cannot
    look fast by the few it finds)."""
    return float(np.median([miss if d is None else d for d in delays])) if delays else miss


def _summary(rows: list[dict], h: float) -> dict:
    ours = [r["ours"][h] for r in rows]
    c2 = [r["c2"] for r in rows]
    q = lambda v, k: float(np.percentile([d for d in v if d is not None], k)) if any(d is not None for d in v) else None  # noqa: E731
    return {"injections": len(rows),
            "within_24h": _share(ours, 24), "within_72h": _share(ours, 72),
            "delay_h_of_detected": {"p25": q(ours, 25), "median": q(ours, 50), "p75": q(ours, 75), "p90": q(ours, 90)},
            "c2_within_24h": _share(c2, 24), "c2_within_72h": _share(c2, 72), "c2_median_delay_h": _median(c2)}


if __name__ == "__main__":
    sys.exit(main())
