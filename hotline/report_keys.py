"""Year-over-year keys of the annual report document (schemas/report/v1/report.json): which
figure of the calls table each `calls.yoy_pct` key compares. One definition for the API, which
computes them, and for the simulator, which reads printed ones back (a previous year, a check).

The service-level key depends on the threshold asked for: `service_level_{N}s` compares
`calls.inbound.service_level_{N}s_pct` (see `service_level_yoy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CALL_YOY: Mapping[str, tuple[str, str]] = MappingProxyType({
    "inbound_answered": ("inbound", "answered"),
    "avg_wait_s": ("inbound", "avg_wait_s"),
    "inbound_avg_talk_s": ("inbound", "avg_talk_s"),
    "inbound_over_10min": ("inbound", "over_10min_pct"),
    "outbound_count": ("outbound", "count"),
    "outbound_avg_talk_s": ("outbound", "avg_talk_s"),
    "outbound_over_10min": ("outbound", "over_10min_pct"),
    "all_count": ("all", "count"),
    "inbound_offered": ("inbound", "offered"),
    "inbound_abandoned": ("inbound", "abandoned"),
    "answer_rate": ("inbound", "answer_rate_pct"),
    "inbound_longest_talk_s": ("inbound", "longest_talk_s"),
    "all_avg_talk_s": ("all", "avg_talk_s"),
    "all_over_10min": ("all", "over_10min_pct"),
})


def service_level_yoy(threshold_s: int) -> tuple[str, tuple[str, str]]:
    """(yoy key, figure) of the service level at `threshold_s` seconds."""
    key = f"service_level_{threshold_s}s"
    return key, ("inbound", f"{key}_pct")
