"""What every benchmark stage shares: its result record and how it is measured.

Stable interface (other stages and the bench/*.py scripts import it): `StageResult`,
`measure(pids)`, `cpu_s(pid)`, `cpu_model()`, `scrape(url, name)`.
CPU and memory come from /proc and resource.getrusage (no psutil), so a stage can count the
servers doing its work (ClickHouse, the broker) as well as this process.
"""

from __future__ import annotations

import os
import platform
import resource
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class StageResult:
    stage: str
    events: int
    wall_s: float
    events_per_s: float
    cpu_s: float
    peak_rss_mb: float
    notes: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def cpu_s(pid: int) -> float:
    """User + system CPU of every thread of `pid` so far; 0 when it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime


def cpu_model() -> str:
    """The processor's name, for the record of a benchmark run."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def metric_sum(text: str, name: str) -> float:
    """The sum of every series of metric `name` in a Prometheus text exposition (0 without any)."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "))


def scrape(url: str, name: str, timeout_s: float = 2.0) -> float | None:
    """`metric_sum` of a service's /metrics; None when it does not answer (not up yet, gone)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return metric_sum(r.read().decode(), name)
    except OSError:
        return None


def rss_mb(pid: int) -> float:
    try:
        return int(open(f"/proc/{pid}/statm").read().split()[1]) * _PAGE_MB
    except OSError:
        return 0.0


@dataclass
class Measurement:
    """Filled when the `measure` block ends; `result` turns it into a StageResult."""

    pids: tuple[int, ...]
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    by_pid: dict[int, float] = field(default_factory=dict)  # CPU seconds of each of `pids`
    _samples: list[float] = field(default_factory=list, repr=False)

    def result(self, stage: str, events: int, notes: str = "") -> StageResult:
        rate = events / self.wall_s if self.wall_s > 0 else 0.0
        return StageResult(stage, events, round(self.wall_s, 3), round(rate), round(self.cpu_s, 2),
                           round(self.peak_rss_mb, 1), notes)


@contextmanager
def measure(pids: Iterable[int] = (), interval_s: float = 0.05) -> Iterator[Measurement]:
    """Wall time of the block; CPU of `pids` (default: this process) plus of the children this
    process reaped during the block (e.g. a clickhouse-client run); peak of the summed RSS of
    `pids`, sampled every `interval_s` by a thread (children are not sampled: see ru_maxrss)."""
    m = Measurement(tuple(pids) or (os.getpid(),))
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            m._samples.append(sum(rss_mb(p) for p in m.pids))
            stop.wait(interval_s)

    sampler = threading.Thread(target=sample, name="stage-rss", daemon=True)
    cpu0 = {p: cpu_s(p) for p in m.pids}
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    sampler.start()
    try:
        yield m
    finally:
        m.wall_s = time.perf_counter() - t0
        stop.set()
        sampler.join()
        child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = (child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime)
        m.by_pid = {p: cpu_s(p) - cpu0.get(p, 0.0) for p in m.pids}  # pids added in the block started at 0
        m.cpu_s = sum(m.by_pid.values()) + children
        m.peak_rss_mb = max(m._samples, default=0.0)
