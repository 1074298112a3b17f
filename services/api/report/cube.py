"""A cube: rows of dimension values and additive measures, as the cube queries return them
(services/api/sql/*_cube.sql). Figures are sums over slices of it; `longest_*` measures are
maxima, every other measure adds up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]


def _is_max(measure: str) -> bool:
    return measure.startswith("longest_")


class Cube:
    def __init__(self, rows: Iterable[Row], dims: Iterable[str]):
        self.rows = list(rows)
        self.dims = tuple(dims)

    def where(self, **match: Any) -> "Cube":
        """Rows whose dimension equals the value, or is in it when it is a set/tuple/list."""
        def ok(row: Row) -> bool:
            for dim, want in match.items():
                value = row[dim]
                if isinstance(want, (set, frozenset, tuple, list)):
                    if value not in want:
                        return False
                elif value != want:
                    return False
            return True
        return Cube((r for r in self.rows if ok(r)), self.dims)

    def sum(self, measure: str) -> int:
        return sum(r[measure] for r in self.rows)

    def max(self, measure: str) -> int | None:
        values = [r[measure] for r in self.rows]
        return max(values) if values else None

    def by(self, dim: str) -> dict[Any, "Cube"]:
        groups: dict[Any, list[Row]] = {}
        for r in self.rows:
            groups.setdefault(r[dim], []).append(r)
        return {k: Cube(v, self.dims) for k, v in groups.items()}

    def collapse(self, keep: Iterable[str]) -> "Cube":
        """The same measures summed over the dimensions not in `keep` (fewer rows to slice)."""
        keep = tuple(keep)
        out: dict[tuple, dict[str, Any]] = {}
        for r in self.rows:
            key = tuple(r[d] for d in keep)
            acc = out.get(key)
            if acc is None:
                out[key] = {k: v for k, v in r.items() if k in keep or k not in self.dims}
                continue
            for k, v in r.items():
                if k in self.dims:
                    continue
                acc[k] = max(acc[k], v) if _is_max(k) else acc[k] + v
        return Cube(out.values(), keep)

    def __len__(self) -> int:
        return len(self.rows)
