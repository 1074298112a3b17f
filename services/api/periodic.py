"""Background work of the API process: a round every `every_s`, started in the app's lifespan
and cancelled at its end. A round must not raise (it logs and tries again next time)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

log = logging.getLogger("hotline.api")


class Periodic:
    name = "periodic"

    def __init__(self, every_s: float, first_delay_s: float = 0.0):
        self.every_s, self.first_delay_s = every_s, first_delay_s
        self._task: asyncio.Task | None = None

    async def round(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        await asyncio.sleep(self.first_delay_s)
        while True:
            started = time.monotonic()
            await self.round()
            await asyncio.sleep(max(self.every_s - (time.monotonic() - started), 0.05))

    def start(self) -> None:
        if self.every_s > 0:
            self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


class Chore(Periodic):
    """Upkeep of the storage in a worker thread: `work(settings)` (blocking) every `every_s`, the
    first time after a whole period (a restarting API should not start with it). A failure is
    logged and tried again next round: a chore only makes reads cheaper, they are right without it."""

    what = "chore"

    def __init__(self, settings: Any, every_s: float):
        super().__init__(every_s, first_delay_s=every_s)
        self.settings = settings

    def work(self, settings: Any) -> bool:
        """One round; True when it changed something (logged)."""
        raise NotImplementedError

    async def round(self) -> None:
        try:
            if await asyncio.to_thread(self.work, self.settings):
                log.info("%s done", self.what)
        except Exception as exc:  # noqa: BLE001 - a failed round is retried
            log.warning("%s failed, retrying in %.0f s: %s", self.what, self.every_s, type(exc).__name__)
