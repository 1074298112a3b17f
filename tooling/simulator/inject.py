"""What the early-warning detectors must find, as `hotline simulate --inject SPEC`, and the shape
of a surge.

Three kinds, one spec each (`kind:key=value,...`; times are the city's local time):

- `surge:category=C,district=D,start=YYYY-MM-DDTHH:MM,hours=H,factor=F[,subcategory=S]`:
  about F times the expected tickets of (C, D) over H hours;
- `cluster:subcategory=S,h3=CELL,start=YYYY-MM-DDTHH:MM,days=N,tickets=T,callers=K`: T phone
  tickets of S in one cell over N days, from K distinct callers;
- `pingpong:count=N[,start=YYYY-MM-DDTHH:MM]`: N tickets dispatched A → B → A, each after a return.

Parsing checks what a spec alone can tell (kind, keys, numbers, dates, the H3 cell, a
subcategory's category); whether a category or district exists and a start lies in the simulated
period is checked against the profile when the injections are built (injections.py). Every error
is an InjectError naming the spec and the bad part. Pure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import h3
import numpy as np

from hotline.errors import HotlineError
from tooling.simulator import subcategories

START_FORMAT = "%Y-%m-%dT%H:%M"
# The outbreak curve: a lognormal over the window (0, 1], median at MEDIAN of it (drawn), so the
# extra tickets rise, peak in the first half and fall off towards the end.
MEDIAN, SIGMA = (0.3, 0.45), 0.5


class InjectError(HotlineError):
    """An injection spec that cannot be read or does not fit the profile; the message names it."""


@dataclass(frozen=True)
class Surge:
    category: str
    district: str
    start: dt.datetime  # local, naive
    hours: int
    factor: float
    subcategory: str = ""


@dataclass(frozen=True)
class Cluster:
    subcategory: str
    h3: str
    start: dt.datetime
    days: int
    tickets: int
    callers: int

    @property
    def category(self) -> str:
        return subcategories.CATEGORY_OF[self.subcategory]


@dataclass(frozen=True)
class PingPong:
    count: int
    start: dt.datetime | None = None


Spec = Surge | Cluster | PingPong
KINDS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {  # kind → (class, required, optional)
    "surge": (Surge, ("category", "district", "start", "hours", "factor"), ("subcategory",)),
    "cluster": (Cluster, ("subcategory", "h3", "start", "days", "tickets", "callers"), ()),
    "pingpong": (PingPong, ("count",), ("start",)),
}
KIND_OF = {Surge: "surge", Cluster: "cluster", PingPong: "pingpong"}


def parse(text: str) -> Spec:
    """One `--inject` spec."""
    def bad(problem: str) -> InjectError:
        return InjectError(f"--inject {text!r}: {problem}")

    kind, sep, rest = text.partition(":")
    kind = kind.strip()
    if kind not in KINDS:
        raise bad(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    cls, required, optional = KINDS[kind]
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise bad(f"{part!r} is not key=value")
        if key not in required and key not in optional:
            raise bad(f"unknown key {key!r} for {kind} (it takes {', '.join(required + optional)})")
        if key in values:
            raise bad(f"{key} given twice")
        values[key] = value
    missing = [k for k in required if k not in values]
    if missing:
        raise bad(f"missing {', '.join(missing)} (a {kind} needs {', '.join(required)})")
    args = {k: _value(k, v, bad) for k, v in values.items()}
    if kind == "surge":
        if args["factor"] <= 1:
            raise bad(f"factor={values['factor']} must be more than 1")
        sub = args.get("subcategory", "")
        if sub and sub not in subcategories.names_of(args["category"]):
            raise bad(f"subcategory={sub} is not one of {args['category']}'s "
                      f"({', '.join(subcategories.names_of(args['category']))})")
    if kind == "cluster":
        if args["subcategory"] not in subcategories.CATEGORY_OF:
            raise bad(f"unknown subcategory {args['subcategory']!r} (e.g. 物业管理, 供水, 噪声污染)")
        if not h3.is_valid_cell(args["h3"]):
            raise bad(f"h3={args['h3']} is not a valid H3 cell")
        if args["callers"] > args["tickets"]:
            raise bad(f"callers={args['callers']} is more than tickets={args['tickets']} (each caller raises one at least)")
    return cls(**args)


def _value(key: str, value: str, bad):
    if key == "start":
        try:
            return dt.datetime.strptime(value, START_FORMAT)
        except ValueError:
            raise bad(f"start={value} is not a local date-time YYYY-MM-DDTHH:MM") from None
    if key in ("hours", "days", "tickets", "callers", "count"):
        if not value.isdigit() or int(value) < 1:
            raise bad(f"{key}={value} must be a whole number of at least 1")
        return int(value)
    if key == "factor":
        try:
            f = float(value)
        except ValueError:
            raise bad(f"factor={value} is not a number") from None
        if not math.isfinite(f):
            raise bad(f"factor={value} is not a finite number")
        return f
    return value


def as_dict(spec: Spec) -> dict:
    """The spec's values as JSON (the truth file): start as YYYY-MM-DDTHH:MM."""
    out = {k: v for k, v in asdict(spec).items() if v not in (None, "")}
    if isinstance(out.get("start"), dt.datetime):
        out["start"] = out["start"].strftime(START_FORMAT)
    return out


def surge_extra(expected_per_hour: Sequence[float], factor: float, rng: np.random.Generator) -> list[int]:
    """Extra tickets per hour that make a series' count over the window about `factor` times its
    expected count: round((factor − 1) × sum(expected)) in all, exactly, spread over the hours by
    an outbreak curve (a lognormal over the window, its median drawn between 0.3 and 0.45 of it)
    times each hour's expectation (people call in the day), drawn multinomially from `rng`.
    An all-zero expectation gives no extra tickets."""
    e = np.clip(np.asarray(expected_per_hour, dtype=float), 0.0, None)
    n = len(e)
    total = int(round((factor - 1.0) * float(e.sum()))) if n else 0
    if total <= 0:
        return [0] * n
    x = (np.arange(n) + 0.5) / n
    median = rng.uniform(*MEDIAN)
    curve = np.exp(-((np.log(x) - math.log(median)) ** 2) / (2 * SIGMA**2)) / x
    w = curve * e
    if w.sum() <= 0:
        w = curve
    return [int(k) for k in rng.multinomial(total, w / w.sum())]
