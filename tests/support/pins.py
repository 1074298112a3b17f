"""What constraints.txt pins: the upgrade guards of the seams over library internals read it."""

from __future__ import annotations

from pathlib import Path

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"


def pinned(package: str) -> str:
    """The exact version constraints.txt pins `package` to (its name as pip writes it)."""
    for line in CONSTRAINTS.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")
