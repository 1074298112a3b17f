"""Prometheus metrics, declared the same way in every service and served at its /metrics.

Each service has one module, `services/<service>/metrics.py`: a table of its metrics in the
module docstring, and a `Metrics(ServiceMetrics)` class declaring every one of them in
`__init__` with the helpers below, each with its unit in the name (`_seconds`, `_messages`,
`_total` for a counter) and a help text saying what it counts and how to aggregate it over
instances. A `Metrics` owns its registry (not prometheus_client's process-global one), so tests
can build many apps in one process; the registry always holds the process metrics (CPU, memory,
file descriptors).

Names are part of the deployment (deploy/prometheus rules, the Grafana dashboard):
tests/unit/deploy checks that every series they read is declared.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST  # of the exposition, for the /metrics answer

# For request and publish latencies: a local answer takes a millisecond, a stalled broker 30 s.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ServiceMetrics:
    """A registry with the process metrics, and helpers that declare metrics in it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, process_resident_memory_bytes, …

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """`name` as exposed, `_total` included, so that grepping the code for a series finds it."""
        if not name.endswith("_total"):
            raise ValueError(f"{name}: a counter's name ends with _total")
        return Counter(name, documentation, labels, registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=self.registry)

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (), *, buckets: Sequence[float],
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def exposition(self) -> bytes:
        """The text format /metrics serves (with CONTENT_TYPE)."""
        return generate_latest(self.registry)
