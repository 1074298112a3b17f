"""The HTTP services' request metrics: one pure ASGI middleware, told which metrics and labels.

Outermost in the app, so it measures every answer, whoever produced it: a route, an error
handler, the last-resort 500 (hotline.web.problems); a request that ended before any answer
started counts as 500 (StatusWatch's default). Each service passes its own metric objects
(services/<service>/metrics.py) and how to label a request from its scope and status; labels
must come from a bounded set (a status code, a route template, a fixed word), never from the raw
path or a header.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.web.asgi import StatusWatch

# (scope, status code) -> the label values, in the order the metrics declare their labels.
Labels = Callable[[Scope, int], tuple[str, ...]]


def route_labels(scope: Scope, status: int) -> tuple[str, str, str]:
    """(route, method, status): the matched route's path template, e.g.
    /v1/reports/annual/{year}, never the raw path; "unmatched" when no route matched (a 404)."""
    route = getattr(scope.get("route"), "path", None) or "unmatched"
    return route, scope["method"], str(status)


class RequestMetrics:
    """Times each HTTP request (those with `method` and `path`, when given) into `duration` and,
    when given, counts it into `count`, both labelled by `labels(scope, status)`. Adds no work
    to other requests and never changes an answer."""

    def __init__(
        self, app: ASGIApp, *, duration: Histogram, labels: Labels, count: Counter | None = None,
        method: str | None = None, path: str | None = None,
    ) -> None:
        self.app, self.duration, self.labels, self.count = app, duration, labels, count
        self.method, self.path = method, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or (self.path is not None and scope["path"] != self.path)
                or (self.method is not None and scope["method"] != self.method)):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            values = self.labels(scope, watch.status)
            if self.count is not None:
                self.count.labels(*values).inc()
            self.duration.labels(*values).observe(time.perf_counter() - start)
