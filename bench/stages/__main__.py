"""python -m bench.stages [--scale 0.01] [--seed 1]: start the private stack, fill the topics
once, run the naive consumer then the ClickHouse-native peer, print a table, stop the stack."""

from __future__ import annotations

import argparse
import json
import time

from bench.stages import naive, peer
from bench.stages.stack import local_stack
from bench.stages.topics import fill


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__)
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args()
    with local_stack() as stack:
        t0 = time.perf_counter()
        events = fill(stack.kafka, args.scale, args.seed)
        print(f"filled {events} events in {time.perf_counter() - t0:.1f} s (scale {args.scale:g})", flush=True)
        results = [
            naive.run(stack.kafka, stack.clickhouse, events, pids=stack.pids),
            peer.run(stack.kafka, stack.clickhouse, events, pids=stack.pids,
                     server_log=stack.clickhouse_errors),
        ]
    print(f"{'stage':<8}{'events':>10}{'wall s':>9}{'events/s':>11}{'cpu s':>8}{'peak MB':>9}  notes")
    for r in results:
        print(f"{r.stage:<8}{r.events:>10}{r.wall_s:>9.2f}{r.events_per_s:>11,.0f}{r.cpu_s:>8.1f}"
              f"{r.peak_rss_mb:>9.0f}  {r.notes}")
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
