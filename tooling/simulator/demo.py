"""The demo and `hotline simulate --compare`: simulate a profile into the running stack, wait
until the pipeline has caught up, fetch the annual report from the API and print it side by side
with the profile's published figures."""

from __future__ import annotations

import datetime as dt

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from hotline.errors import HotlineError
from hotline.settings import ClickHouseSettings
from tooling.simulator import catchup
from tooling.simulator.compare import compare, format_table, inconsistencies, summary
from tooling.simulator.run import RunResult
from tooling.simulator.settings import SimulatorSettings
from hotline.storage.client import connect


class ReportUnavailable(HotlineError):
    pass


def report_params(doc: dict[str, Any]) -> dict[str, Any]:
    """The report parameters a profile's tables were computed with: enough TOP rows, and the
    efficiency scope it states."""
    tops = [len(doc.get("top_departments", {}).get("rows", []))]
    tops += [len(v) for v in doc.get("top_categories", {}).values() if isinstance(v, list)]
    params: dict[str, Any] = {"top_n": max([5, *tops])}
    scope = doc.get("efficiency", {}).get("scope")
    if scope:
        params["efficiency_scope"] = scope
    return params


def fetch_report(s: SimulatorSettings, year: int, params: dict[str, Any] | None = None,
                 timeout_s: float = 120) -> dict[str, Any]:
    url = f"{s.api_url}/v1/reports/annual/{year}?{urllib.parse.urlencode(params or {})}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {s.api_token.get_secret_value()}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise ReportUnavailable(f"{url}: HTTP {e.code}: {e.read()[:300].decode('utf-8', 'replace')}") from None
    except OSError as e:
        raise ReportUnavailable(f"{url}: {e} (is the API running? hotline status)") from None


def wait_caught_up(result: RunResult, seed: int, say: Callable[[str], None], timeout_s: float = 3600) -> float:
    ch = ClickHouseSettings()
    client = connect(ch)
    try:
        return catchup.wait(client, ch.database, f"sim{seed}-", result.stats.events, timeout_s=timeout_s, say=say)
    finally:
        client.disconnect()


def side_by_side(doc: dict[str, Any], s: SimulatorSettings, scale: float, say: Callable[[str], None] = print) -> bool:
    """Print published vs computed; True when every checked figure is within its tolerance."""
    report = fetch_report(s, int(doc.get("year") or 0), report_params(doc))
    rows = compare(doc, report, scale)
    say(format_table(rows))
    n = summary(rows)
    wrong = inconsistencies(rows)
    say(f"\n{n['passed']} of {n['checked']} figures within tolerance, {n['failed']} outside, "
        f"{n['skipped']} not checked at this scale (scale {scale:g}: counts × {scale:g}).")
    if wrong:
        say("Published figures that are internally inconsistent (the platform computes the correct value):")
        for r in wrong:
            say(f"  - {r.path}: {r.note}")
    return n["failed"] == 0


def addresses(s: SimulatorSettings, year: int, say: Callable[[str], None] = print) -> None:
    say(f"\nThe query API runs at {s.api_url} (OpenAPI at {s.api_url}/docs).")
    say(f"Printable report: {s.api_url}/v1/reports/annual/{year}?format=html")
    say("  (a browser asks for a user name and password: any name, the report token as the password;"
        " in development the token is dev-token)")
    say(f"Excel: curl -H 'Authorization: Bearer dev-token' -o report-{year}.xlsx "
        f"'{s.api_url}/v1/reports/annual/{year}?format=xlsx'")
    week = latest_week(year)
    say(f"Weekly brief (周报) of the latest week, {week}: {s.api_url}/v1/reports/weekly/{week}?format=html")
    say(f"  the department assessment (部门考核) of the year: "
        f"{s.api_url}/v1/reports/departments?from={year}-01-01&to={year}-12-31&format=html")
    say("Stop everything with: ./run down")


def latest_week(year: int) -> str:
    """The ISO week holding the simulated year's last day (the data's latest week), e.g. 2023-W52."""
    iso = dt.date(year, 12, 31).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
