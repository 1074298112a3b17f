"""Waiting for a condition instead of for time: the one helper every test uses to poll.

    rows = eventually(lambda: fetch_rows(), until=lambda r: len(r) == 3, timeout_s=60,
                      what="the three tickets in ticket_facts")
    eventually(lambda: server.pid() is None, timeout_s=10, what="the broker gone after SIGKILL")

A test never sleeps for a guessed duration to let something happen; it names the condition, and
waits at most `timeout_s` for it. When the time is up it fails with what it awaited and the last
value it saw, so a red test says what did not happen, not only that something took too long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_REPR_LIMIT = 2000


def eventually(
    probe: Callable[[], T],
    *,
    timeout_s: float,
    what: str,
    until: Callable[[T], object] | None = None,
    interval_s: float = 0.25,
    ignoring: tuple[type[BaseException], ...] = (),
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `probe` until its value is truthy (or `until(value)` is, when given) and return that
    value; probed at least once, then every `interval_s` until `timeout_s` has passed.

    An exception of a type in `ignoring` counts as "not yet" (e.g. ConnectionError while a server
    starts) and is what the failure reports if nothing else was seen; any other exception is
    raised at once. `sleep` is what waits between probes: an in-process app whose event loop must
    run meanwhile passes its own. `clock` is injected for the helper's own tests.

    Raises AssertionError naming `what`, the time waited and the last value (or exception) seen.
    """
    deadline = clock() + timeout_s
    probes = 0
    last: object = "nothing (never probed)"
    while True:
        probes += 1
        try:
            value = probe()
        except ignoring as exc:  # an empty tuple catches nothing
            last = exc
        else:
            if (until(value) if until is not None else value):
                return value
            last = value
        if clock() >= deadline:
            shown = repr(last)
            if len(shown) > _REPR_LIMIT:
                shown = shown[:_REPR_LIMIT] + f"... ({len(shown)} characters)"
            raise AssertionError(f"waited {timeout_s:g} s ({probes} probes) for {what}; last seen: {shown}")
        sleep(interval_s)
