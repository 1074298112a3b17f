"""deploy/grafana: the provisioned dashboard checked without a Grafana server.

What keeps the dashboard honest against the code: every PromQL expression may only name metrics the
services really export (collected from their own registries, the API's live figures included), every
query goes to the provisioned Prometheus datasource, every panel is titled with the Chinese name
monitoring staff use next to the metric it shows, and every live figure has a panel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD_FILE = ROOT / "deploy/grafana/dashboards/hotline.json"
DATASOURCES_FILE = ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml"
PROVIDERS_FILE = ROOT / "deploy/grafana/provisioning/dashboards/hotline.yml"

# Series Prometheus adds itself (`up`) or that no service defines by name (the process collector's
# names are not guaranteed outside Linux).
OUTSIDE_THE_CODE = {"up", "process_cpu_seconds_total", "process_resident_memory_bytes"}

# --- PromQL: just enough of the grammar to find the metric names of an expression -----------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_RANGES = re.compile(r"\[[^\[\]]*\]")
# Not after a word character, a dot or `$`: skips the `e` of 1e3, the `m` of 5m, Grafana variables.
_IDENTIFIER = re.compile(r"(?<![\w:.$])[A-Za-z_:][\w:]*")
_CALLABLE = {
    # aggregation operators
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "limitk", "limit_ratio",
    # functions
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor", "histogram_avg",
    "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar",
    "histogram_sum", "holt_winters", "double_exponential_smoothing", "hour", "idelta", "increase", "irate",
    "label_join", "label_replace", "ln", "log2", "log10", "minute", "month", "predict_linear", "rate",
    "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt",
    "time", "timestamp", "vector", "year", "avg_over_time", "min_over_time", "max_over_time",
    "sum_over_time", "count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time",
    "last_over_time", "present_over_time", "mad_over_time", "acos", "acosh", "asin", "asinh", "atan",
    "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi",
}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
             "group_right", "inf", "nan", "start", "end", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (label matchers, groupings, strings and ranges are
    dropped first). An unknown name followed by `(` is refused: a misspelt function."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _RANGES.sub(" ", text)
    names: set[str] = set()
    for match in _IDENTIFIER.finditer(text):
        word = match.group()
        if text[match.end():].lstrip().startswith("("):
            assert word in _CALLABLE, f"unknown PromQL function {word!r} in {expr!r}"
        elif word.lower() not in _KEYWORDS:
            names.add(word)
    return names


@pytest.mark.parametrize(("expr", "names"), [
    ("max(hotline_live_calls_waiting)", {"hotline_live_calls_waiting"}),
    ('histogram_quantile(0.95, sum by (le) (rate(a_seconds_bucket{route="/v1/{year}"}[5m])))', {"a_seconds_bucket"}),
    ("sum(rate(b_total[5m] offset 1h)) by (job) / on (job) group_left c", {"b_total", "c"}),
    ('up{job=~"ingest|api"} == bool 1', {"up"}),
    ('label_replace(x, "dst", "$1", "src", "(.*)") * 1e3', {"x"}),
    ("sum without (instance) (y:recorded:rate5m)", {"y:recorded:rate5m"}),
])
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_metric_names_refuses_unknown_functions() -> None:
    with pytest.raises(AssertionError, match="rat"):
        metric_names("rat(x_total[5m])")


# --- what the services export -----------------------------------------------------------------------

def series_names(registry: CollectorRegistry) -> set[str]:
    """Every series name a registry can expose, whether or not a labelled child exists yet."""
    names: set[str] = set()
    for family in registry.collect():
        name = family.name
        if family.type == "counter":
            names.add(f"{name}_total")
        elif family.type in ("histogram", "gaugehistogram"):
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif family.type == "summary":
            names |= {name, f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
        names |= {sample.name for sample in family.samples}
    return names


NOW_MS = 1_718_000_000_000


class CannedFacts:
    """Stands in for the API's FactsReader: one answer per live query, by its column names."""

    ROWS = {
        "live_calls": [{"waiting": 3, "oldest_waiting_ms": NOW_MS - 75_000, "offered_today": 120,
                        "answered_today": 110, "abandoned_today": 7, "window_decided": 20, "window_within": 17}],
        "live_tickets": [{"source": "phone", "created_today": 40, "answered_online_today": 25, "dispatched_today": 12},
                         {"source": "internet", "created_today": 9, "answered_online_today": 3, "dispatched_today": 5}],
        "live_open": [{"open_dispatched": 31, "overdue": 2}],
        "live_freshness": [{"newest_ms": NOW_MS - 4_000}],
    }

    def rows(self, name: str, params: dict, bucket: str = "day", final: bool = True) -> list[dict]:
        return self.ROWS[name]


@pytest.fixture(scope="module")
def exported() -> set[str]:
    from services.aggregate.metrics import Metrics as AggregateMetrics
    from services.alerts.metrics import Metrics as AlertsMetrics
    from services.api.live import LiveFigures
    from services.api.metrics import Metrics as ApiMetrics
    from services.api.report.figures import ServiceLevel
    from services.ingest.metrics import Metrics as IngestMetrics

    # The live figures are exported from the latest snapshot only (absent before the first one).
    live = LiveFigures(CannedFacts(), "Asia/Shanghai", ServiceLevel(), refresh_s=1, max_wait_s=3600)
    live.snapshot = live.compute(NOW_MS)
    api = ApiMetrics()
    api.watch_live(live)
    return (series_names(api.registry) | series_names(IngestMetrics().registry)
            | series_names(AggregateMetrics().registry) | series_names(AlertsMetrics().registry)
            | OUTSIDE_THE_CODE)


# --- the dashboard ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def datasource() -> dict:
    provisioned = yaml.safe_load(DATASOURCES_FILE.read_text(encoding="utf-8"))
    [prometheus] = [d for d in provisioned["datasources"] if d["type"] == "prometheus"]
    return prometheus


def all_panels(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))  # a collapsed row holds its panels


def queries(dashboard: dict) -> Iterator[tuple[dict, dict]]:
    for panel in all_panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield panel, target


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _mentions(title: str, name: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", title) is not None


def _family(name: str) -> str:
    return re.sub(r"_(?:bucket|sum|count)$", "", name)


def test_provisioning_points_at_the_mounted_dashboards_and_the_stack_prometheus(datasource: dict) -> None:
    [provider] = yaml.safe_load(PROVIDERS_FILE.read_text(encoding="utf-8"))["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["uid"] and datasource["name"]


def test_dashboard_identity(dashboard: dict) -> None:
    assert dashboard["uid"] == "hotline-live"
    assert dashboard["title"] == "12345 热线 · 实时监控 / live monitoring"
    assert dashboard["schemaVersion"] == 39
    assert dashboard["refresh"] == "10s"
    assert dashboard["timezone"] == "Asia/Shanghai"
    # Every API instance exports the same live figures: the dashboard says they are taken with max().
    assert "max()" in dashboard["description"]


def test_layout(dashboard: dict) -> None:
    panels = list(all_panels(dashboard["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for p in dashboard["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = p["title"]


def test_every_panel_has_a_chinese_title_naming_its_metric(dashboard: dict, exported: set[str]) -> None:
    families = exported | {_family(n) for n in exported}
    for panel in all_panels(dashboard["panels"]):
        title = panel["title"]
        assert _CJK.search(title), f"no Chinese name in {title!r}"
        if panel["type"] == "row":
            continue
        used = set().union(*(metric_names(t["expr"]) for t in panel["targets"]))
        assert any(_mentions(title, n) or _mentions(title, _family(n)) for n in used), (
            f"{title!r} names none of its metrics {sorted(used)}")
        named = set(re.findall(r"\b(?:hotline|process)_\w+", title))
        assert named <= families, f"{title!r} names unknown metrics {sorted(named - families)}"


def test_every_query_goes_to_the_provisioned_prometheus(dashboard: dict, datasource: dict) -> None:
    ref = {"type": datasource["type"], "uid": datasource["uid"]}
    found = 0
    for panel, target in queries(dashboard):
        found += 1
        assert panel["datasource"] == ref, panel["title"]
        assert target["datasource"] == ref, panel["title"]
        assert target["expr"].strip(), panel["title"]
    assert found
    for panel in all_panels(dashboard["panels"]):
        if panel["type"] != "row":
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), panel["title"]


def test_every_query_names_only_exported_metrics(dashboard: dict, exported: set[str]) -> None:
    missing: dict[str, list[str]] = {}
    for panel, target in queries(dashboard):
        names = metric_names(target["expr"])
        assert names, f"{target['expr']!r} selects no metric"
        for name in sorted(names - exported):
            missing.setdefault(name, []).append(panel["title"])
    assert not missing, "metrics no service exports: " + "; ".join(
        f"{name} (in {', '.join(titles)})" for name, titles in sorted(missing.items()))


def test_every_live_figure_has_a_panel(dashboard: dict, exported: set[str]) -> None:
    used = set().union(*(metric_names(t["expr"]) for _, t in queries(dashboard)))
    live = {n for n in exported if n.startswith("hotline_live_")}
    assert live, "the API exports no hotline_live_* figure"
    assert live <= used, f"live figures without a panel: {sorted(live - used)}"
