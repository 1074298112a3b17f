"""deploy/prometheus checked by Debian's promtool (scripts/bootstrap.sh installs the `prometheus`
package): the scrape config with the rule files it loads, the alert rules, and the rules' unit
tests (deploy/prometheus/tests/*.test.yml), which make every alert fire and stay quiet. Needs no
servers.

A missing promtool is a failure, not a skip: CI installs it, and alert rules nobody evaluated
are worse than none. The plain checks below keep the rules honest as they grow: every alert
carries a severity and a runbook, and has a test in which it fires and one in which it does not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.promtool

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy/prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_FILES = sorted(PROMETHEUS.glob("rules/*.yml"))
TEST_FILES = sorted(PROMETHEUS.glob("tests/*.test.yml"))
SEVERITIES = {"page", "ticket"}
ANNOTATIONS = {"summary", "description", "runbook"}


def promtool(*args: str) -> str:
    """Run promtool in the repo; a failure shows its output. Called inside the tests (not a
    fixture) so that a missing promtool reports the tests FAILED, not errored in setup."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed: run scripts/bootstrap.sh (it installs Debian's prometheus package)")
    proc = subprocess.run([path, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"promtool {' '.join(args)} exited {proc.returncode}:\n{output}"
    return output


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def alert_rules() -> dict[str, dict]:
    rules: dict[str, dict] = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"] not in rules, f"{rule['alert']} is defined twice"
                    rules[rule["alert"]] = rule
    return rules


def alert_cases() -> list[tuple[str, str, list]]:
    """(test name, alertname, exp_alerts) of every alert_rule_test in the unit tests."""
    cases = []
    for path in TEST_FILES:
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for case in test.get("alert_rule_test", []):
                cases.append((test.get("name", path.name), case["alertname"], case.get("exp_alerts") or []))
    return cases


# --- promtool ----------------------------------------------------------------------------------


def test_rule_and_test_files_exist() -> None:
    assert PROMETHEUS / "rules/hotline.yml" in RULE_FILES
    assert PROMETHEUS / "tests/hotline.test.yml" in TEST_FILES


def test_check_config() -> None:
    promtool("check", "config", rel(CONFIG))


def test_check_rules() -> None:
    out = promtool("check", "rules", *map(rel, RULE_FILES))
    assert "SUCCESS: 15 rules found" in out, out  # the fifteen alerts of deploy/prometheus/rules/hotline.yml


def test_rules_unit_tests() -> None:
    out = promtool("test", "rules", *map(rel, TEST_FILES))
    # promtool prints one SUCCESS per test file whose every case held (a failed case exits 1)
    assert out.count("SUCCESS") == len(TEST_FILES) and "FAILED" not in out, out


# --- plain checks ------------------------------------------------------------------------------


def test_config_loads_the_rule_files() -> None:
    """rule_files is resolved against the config's folder, so it holds in the repo (promtool) and
    in the container (/etc/prometheus); a glob that matches nothing is no error to Prometheus."""
    patterns = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["rule_files"]
    assert all(not Path(p).is_absolute() for p in patterns), patterns
    loaded = {path for p in patterns for path in CONFIG.parent.glob(p)}
    assert loaded == set(RULE_FILES)


def test_every_alert_has_severity_and_annotations() -> None:
    rules = alert_rules()
    assert rules
    for name, rule in rules.items():
        assert rule.get("labels", {}).get("severity") in SEVERITIES, f"{name}: severity must be one of {SEVERITIES}"
        annotations = rule.get("annotations", {})
        assert ANNOTATIONS <= set(annotations), f"{name}: needs annotations {sorted(ANNOTATIONS - set(annotations))}"
        assert "$value" in annotations["description"], f"{name}: the description should show {{{{ $value }}}}"
        runbook = annotations["runbook"].strip()
        assert runbook and "\n" not in runbook, f"{name}: the runbook is one line saying what to check first"


def test_every_alert_is_tested_firing_and_quiet() -> None:
    rules, cases = alert_rules(), alert_cases()
    unknown = {alertname for _, alertname, _ in cases} - set(rules)
    # promtool passes `exp_alerts: []` for an alert that does not exist: a typo makes a quiet test vacuous.
    assert not unknown, f"the unit tests name alerts the rules do not define: {sorted(unknown)}"
    fired = {alertname for _, alertname, exp in cases if exp}
    quiet = {alertname for _, alertname, exp in cases if not exp}
    assert not set(rules) - fired, f"alerts without a test in which they fire: {sorted(set(rules) - fired)}"
    assert not set(rules) - quiet, f"alerts without a test in which they stay quiet: {sorted(set(rules) - quiet)}"
