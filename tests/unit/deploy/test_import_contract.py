"""The import direction, checked by import-linter with the contracts in pyproject.toml: the
runtime core (`hotline`) below the services, the services below the tooling (simulator, local
stack, command line), the tooling below the benchmarks; the services independent of each other;
and no tooling or test library imported by the runtime (the production image has none)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def run_lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_contracts_are_the_ones_the_docs_describe():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {c["name"]: c for c in config["contracts"]}
    by_type = {c["type"]: c for c in config["contracts"] if c["type"] != "forbidden"}
    assert by_type["layers"]["layers"] == ["bench", "tooling", "services", "hotline"]
    assert by_type["independence"]["modules"] == ["services.ingest", "services.aggregate", "services.api",
                                                   "services.alerts"]
    runtime = contracts["the runtime uses no tooling or test library"]
    assert {"pytest", "chdb", "httpx"} <= set(runtime["forbidden_modules"])
    assert runtime["source_modules"] == ["hotline", "services"]
    # numpy is the alerts service's (its detectors' series arithmetic) and nobody else's in the runtime
    numpy_only = contracts["only the alerts service computes with numpy"]
    assert numpy_only["forbidden_modules"] == ["numpy"]
    assert numpy_only["source_modules"] == ["hotline", "services.ingest", "services.aggregate", "services.api"]


def test_the_repository_keeps_its_import_contracts():
    done = run_lint(REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_a_core_module_importing_tooling_is_caught(tmp_path: Path):
    # The same contract shape on a two-package tree with one wrong import: the check can fail.
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "rows.py").write_text("import tools.sim\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("")
    (tmp_path / "tools" / "sim.py").write_text("import core.rows\n")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_packages =\n    core\n    tools\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\nlayers =\n    tools\n    core\n"
    )
    done = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "core.rows -> tools.sim" in done.stdout
