"""A small ASGI helper shared by the services' middlewares."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusWatch:
    """A `send` that remembers the response's status (500 until one was sent), so a middleware
    can label what it measures by the answer, whoever produced it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.started = message["status"], True
        await self._send(message)
