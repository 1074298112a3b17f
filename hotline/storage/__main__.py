"""`python -m hotline.storage migrate`: apply the schema migrations from the runtime alone.

The production image carries the runtime packages only (no `hotline` command line, which is
tooling); its migration job runs this. `hotline migrate` calls the same function.
"""

from __future__ import annotations

import sys

from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect
from hotline.storage.migrate import migrate


def apply_migrations() -> str:
    """Apply every pending migration to the configured server; returns what was applied, as text."""
    settings = ClickHouseSettings()
    applied = migrate(connect(settings, database=False), settings.database)
    return f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in applied)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["migrate"]:
        print("usage: python -m hotline.storage migrate", file=sys.stderr)
        return 2
    print(apply_migrations())
    return 0


if __name__ == "__main__":
    sys.exit(main())
