"""Waiting until the pipeline has caught up with a simulation: every distinct valid event the
simulator generated is folded into the facts (each call's and ticket's facts count the distinct
events they were folded from)."""

from __future__ import annotations

import time
from collections.abc import Callable

from hotline.errors import HotlineError

FOLDED = ("SELECT sum(e) FROM (SELECT max(events) AS e FROM {db}.{t}_facts "
          "WHERE {t}_id LIKE %(p)s GROUP BY {t}_id)")


class NotCaughtUp(HotlineError):
    def __init__(self, folded: int, want: int, waited_s: float):
        super().__init__(f"after {waited_s:.0f} s the facts hold {folded:,} of the {want:,} events sent; "
                         "is the aggregate worker running (hotline status) and are events dead-lettered?")
        self.folded, self.want = folded, want


# The event table's rows from the parts' metadata: nothing read. They count every stored row
# (other runs' and duplicates not yet merged away too), so they only tell when the exact count
# above is worth making.
STORED = "SELECT sum(rows) FROM system.parts WHERE active AND database = %(db)s AND table = 'events'"


def folded(client, database: str, prefix: str) -> int:
    return sum(int(client.execute(FOLDED.format(db=database, t=t), {"p": prefix + "%"})[0][0] or 0)
               for t in ("call", "ticket"))


def stored(client, database: str) -> int:
    return int(client.execute(STORED, {"db": database})[0][0] or 0)


def wait(client, database: str, prefix: str, want: int, timeout_s: float = 3600,
         say: Callable[[str], None] | None = None, every_s: float = 2.0) -> float:
    """Block until the facts of ids starting with `prefix` hold `want` events; returns the
    seconds waited. Raises NotCaughtUp at the timeout.

    The exact count reads every facts row of the run, which costs ClickHouse more the more
    facts there are (about a seventh of its CPU while a benchmark drained a city-year's topics,
    polled every 2 s). So it is made only once the event table holds `want` rows, which it
    must before the facts can; until then the parts' row count is polled, and the exact count
    is repeated at a quarter of the interval, to see the end soon after it comes. Where the
    database holds no parts of its own (a cluster's Distributed tables) every poll is exact."""
    t0 = time.monotonic()
    last_said = 0.0
    while True:
        waited = time.monotonic() - t0
        rows = stored(client, database)
        enough = rows >= want or rows == 0  # none: empty yet, or a cluster's Distributed table
        telling = say is not None and waited - last_said >= 10
        got = folded(client, database, prefix) if enough or telling or waited > timeout_s else 0
        if got >= want:
            return waited
        if waited > timeout_s:
            raise NotCaughtUp(got, want, waited)
        if telling:
            say(f"waiting for the pipeline: {got:,} of {want:,} events in the facts ({waited:.0f} s)")
            last_said = waited
        time.sleep(every_s / 4 if enough else every_s)
