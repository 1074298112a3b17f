"""A current ClickHouse engine in-process (chdb), behind the same small interface the tests use
for the 18.16 server: execute (rows back as tuples of text), insert (rows as Python values).

chdb allows one embedded server (one data path) per process, so the suite shares one session.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from typing import Any


def _literal(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return f"'{v:%Y-%m-%d %H:%M:%S}'"
    if isinstance(v, dt.date):
        return f"'{v.isoformat()}'"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_literal(x) for x in v) + "]"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(int(v)) if isinstance(v, bool) else str(v)


_ESCAPES = {"b": "\b", "f": "\f", "r": "\r", "n": "\n", "t": "\t", "0": "\0", "'": "'", "\\": "\\"}
_ESCAPED = re.compile(r"\\(.)")


def _unescape(field: str) -> str:
    """A TabSeparated field as the value it stands for (ClickHouse escapes \\, ' and control
    characters with a backslash: a view's DDL read from system.tables has them)."""
    return _ESCAPED.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), field) if "\\" in field else field


class ChdbEngine:
    def __init__(self, path: str | None = None):
        from chdb import session

        self.session = session.Session(path or tempfile.mkdtemp(prefix="chdb-"))

    def text(self, query: str, params: dict[str, Any] | None = None, fmt: str = "TabSeparated") -> str:
        if params:
            query = query % {k: _literal(v) if not isinstance(v, tuple) else "(" + ",".join(map(_literal, v)) + ")"
                             for k, v in params.items()}
        return self.session.query(query, fmt).bytes().decode()

    def execute(self, query: str, params: dict[str, Any] | list[tuple] | None = None, *,
                external_tables: list[dict[str, Any]] | None = None) -> list[tuple[str, ...]]:
        """`external_tables` as clickhouse-driver takes them (the native protocol's external
        data, which chdb lacks): made as Memory tables of the session's current database for the
        query, so the query text is the one the server runs. A list of rows with an INSERT
        is inserted (clickhouse-driver's way)."""
        if isinstance(params, list):
            self.insert(query, params)
            return []
        for t in external_tables or ():
            columns = ", ".join(f"{name} {type_}" for name, type_ in t["structure"])
            self.session.query(f"CREATE TABLE {t['name']} ({columns}) ENGINE = Memory")
            names = [name for name, _ in t["structure"]]
            if t["data"]:
                self.insert(f"INSERT INTO {t['name']} VALUES", [tuple(r[n] for n in names) for r in t["data"]])
        try:
            return [tuple(_unescape(v) for v in line.split("\t")) for line in self.text(query, params).splitlines() if line]
        finally:
            for t in external_tables or ():
                self.session.query(f"DROP TABLE IF EXISTS {t['name']}")

    def insert(self, query: str, rows: list[tuple]) -> None:
        self.session.query(query + " " + ",".join("(" + ",".join(map(_literal, r)) + ")" for r in rows))

    def close(self) -> None:
        self.session.close()
