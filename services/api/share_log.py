"""The data-share log: every answer with ticket data that goes to a department's token is
written to ClickHouse (`data_shares`, migration 0007) before it leaves.

Blocking (routes call it in a worker thread). `record` returns only once ClickHouse has the row;
any failure is ShareNotLogged, which the API answers with a 503 instead of the data: a share that
cannot be logged is not made. One client behind a lock: shares are one small row per request.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hotline.errors import HotlineError
from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect

# 共享方式 of every share the API makes: the department fetches it through the interface.
API_METHOD = "接口共享"
_COLUMNS = ("shared_at", "day", "reader", "department", "level", "method", "route", "table_name", "format",
            "period_from", "period_to", "tickets")


class ShareNotLogged(HotlineError):
    """The share could not be written to the log; the data must not be sent."""


@dataclass(frozen=True)
class Share:
    reader: str
    department: str
    level: str
    route: str  # annual | annual_table | period | series
    table: str  # the table of an annual_table share, else ""
    format: str  # json | csv | xlsx | html, or the series interval's "json"
    period_from: dt.date
    period_to: dt.date
    tickets: int
    method: str = API_METHOD


class ShareLog:
    def __init__(self, settings: ClickHouseSettings, timezone: str):
        self.settings, self.zone = settings, ZoneInfo(timezone)
        self._client: Any = None
        self._lock = threading.Lock()

    def record(self, share: Share, now: dt.datetime | None = None) -> None:
        """Write one share; raises ShareNotLogged when ClickHouse did not take it."""
        now = now or dt.datetime.now(dt.timezone.utc)
        row = (now.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0), now.astimezone(self.zone).date(),
               share.reader, share.department, share.level, share.method, share.route, share.table, share.format,
               share.period_from, share.period_to, share.tickets)
        sql = f"INSERT INTO {self.settings.database}.data_shares ({', '.join(_COLUMNS)}) VALUES"
        with self._lock:
            try:
                if self._client is None:
                    self._client = connect(self.settings)
                self._client.execute(sql, [row])
            except Exception as exc:  # whatever failed, the row is not known to be stored
                if self._client is not None:
                    self._client.disconnect()
                self._client = None
                raise ShareNotLogged(
                    f"the data share could not be logged ({type(exc).__name__}), so the department's data "
                    "was not sent; retry") from exc

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.disconnect()
                self._client = None
