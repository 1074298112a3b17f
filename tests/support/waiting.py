"""Waiting for a condition instead of for time: the one helper tests use to poll."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], done: Callable[[T], bool], *, timeout_s: float = 60.0,
               every_s: float = 0.25, what: str = "the condition") -> T:
    """Call `probe` until `done(result)` holds; returns that result, or fails naming `what` and
    the last result seen once `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = probe()
        if done(got):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout_s:.0f} s; last seen: {got!r}")
        time.sleep(every_s)
