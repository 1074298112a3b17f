"""Background work of the API process: a round every `every_s`, started in the app's lifespan
and cancelled at its end. A round must not raise (it logs and tries again next time)."""

from __future__ import annotations

import asyncio
import time


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
