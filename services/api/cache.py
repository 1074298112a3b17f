"""Answers kept until the figures behind them change.

An entry is keyed by what was asked (report, period, parameters, format) and stores the
validator it was computed under (services/api/facts_reader.py `changes`): a lookup with a
different validator is a miss, so an answer is served from the cache exactly until new events
for its period (or new supplied figures) arrive. Least recently used entries go first.
Thread-safe: the routes compute in worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class AnswerCache:
    def __init__(self, entries: int):
        self.entries = entries
        self._data: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, validator: Hashable) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] != validator:
                return None
            self._data.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, validator: Hashable, value: Any) -> None:
        if self.entries <= 0:
            return
        with self._lock:
            self._data[key] = (validator, value)
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)
