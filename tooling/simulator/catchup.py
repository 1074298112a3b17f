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


def folded(client, database: str, prefix: str) -> int:
    return sum(int(client.execute(FOLDED.format(db=database, t=t), {"p": prefix + "%"})[0][0] or 0)
               for t in ("call", "ticket"))


def wait(client, database: str, prefix: str, want: int, timeout_s: float = 3600,
         say: Callable[[str], None] | None = None, every_s: float = 2.0) -> float:
    """Block until the facts of ids starting with `prefix` hold `want` events; returns the
    seconds waited. Raises NotCaughtUp at the timeout."""
    t0 = time.monotonic()
    last_said = 0.0
    while True:
        got = folded(client, database, prefix)
        waited = time.monotonic() - t0
        if got >= want:
            return waited
        if waited > timeout_s:
            raise NotCaughtUp(got, want, waited)
        if say is not None and waited - last_said >= 10:
            say(f"waiting for the pipeline: {got:,} of {want:,} events in the facts ({waited:.0f} s)")
            last_said = waited
        time.sleep(every_s)
