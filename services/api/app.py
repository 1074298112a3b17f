"""The query API's ASGI app: `uvicorn services.api.app:app` (what `hotline up` runs).

Only builds the app. Nothing is read or connected at import: the settings are read, the
ClickHouse pool made and the live figures' background task started in the lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hotline.web.request_metrics import RequestMetrics, route_labels
from services.api import access_log, errors
from services.api.auth import Authenticator
from services.api.cache import AnswerCache
from services.api.briefing import Briefs
from services.api.calendar_watch import CalendarWatch
from services.api.compactor import Compactor
from services.api.deps import Components
from services.api.facts_reader import FactsReader
from services.api.live import LiveFigures
from services.api.metrics import Metrics
from services.api.pruner import OpenTicketsPruner
from services.api.report.figures import ServiceLevel
from services.api.reporting import Reports
from services.api.routes import alerts, briefs as brief_routes, calendar, data_shares, health, live, reports, supplied
from services.api.settings import ApiSettings
from services.api.share_log import ShareLog

log = logging.getLogger("hotline.api")

DESCRIPTION = """\
The figures of the 12345 hotline, computed from the event stream (definitions: docs/domain.md).

* **Annual report** `GET /v1/reports/annual/{year}` — every event-derived table of the published
  annual reports, year-over-year, the monthly series and supplied figures; `?format=json|csv|xlsx|html`.
  JSON keys are those of report-huaian-2023.json (`demands.rows.citizen.phone`,
  `calls.inbound.service_level_30s_pct`, `demands.yoy_pct.all.total`, …); the document's JSON Schema
  is at `/v1/schemas/report.json`.
* **Any period** `GET /v1/reports/period?from=&to=` and **series** `GET /v1/series?from=&to=&interval=day|week|month`.
* **Choices** (docs/domain.md "Choices made explicit") as parameters with documented defaults:
  `sl_threshold_s` (30), `sl_denominator` (offered), `short_abandon_s` (0), `efficiency_scope` (all), `top_n` (5).
* **Live** `GET /v1/live` — calls waiting, today's calls and tickets, open/overdue tickets, freshness,
  how far the working-day calendar reaches and how many handling times are pending.
* **Early warning** `GET /v1/alerts?from=&to=[&kind=][&status=]`, `GET /v1/alerts/{id}` — surges,
  concentrated demands and ping-pong tickets the alerts service detected, each episode in its newest state.
* **Working-day calendar** `GET /v1/calendar`, `GET|PUT|DELETE /v1/calendar/{year}` — the year
  schedules (holidays, adjusted working days) operators supply when the library does not know a
  year yet; supplying one recomputes the handling times it makes computable.
* **Auth**: a bearer token with the `read` scope (`supply` to write supplied figures). A department's
  token reads the reports and series computed over its own tickets only (no calls, live or supplied
  figures: 403), and every such answer is logged as a data share before it is sent.
* **Data shares** `GET /v1/reports/annual/{year}/data-shares?format=json|csv` — the year's table
  "共享数据情况" from that log (city-wide tokens only).
* **Caching**: a report is computed once and served from memory until new events for its period
  (or new supplied figures) arrive; `X-Cache: hit|miss` says which.
* **Errors** are RFC 9457 problem details naming the parameter at fault.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings if settings is not None else ApiSettings()
        assert s.tokens is not None
        access_log.install()
        reader = FactsReader(s.clickhouse)
        d = s.report
        sl = ServiceLevel(d.service_level_threshold_s, d.service_level_denominator, d.short_abandon_s)
        live_figures = LiveFigures(reader, s.city.timezone, sl, refresh_s=s.live_refresh_s,
                                   max_wait_s=s.live_max_wait_s)
        metrics.watch_live(live_figures)
        calendar_watch = CalendarWatch(reader, s.calendar, s.city.timezone)
        metrics.watch_calendar(calendar_watch)
        reports_ = Reports(reader, AnswerCache(s.cache_entries), metrics, s.city.name, s.city.timezone)
        shares = ShareLog(s.clickhouse, s.city.timezone)
        briefs = Briefs(reader, metrics, s.city.name, s.city.timezone)
        app.state.components = Components(s, Authenticator(s.tokens), reader, reports_, live_figures, metrics,
                                          shares, calendar_watch, briefs)
        # An invalid HOTLINE_CALENDAR_FILE stops the start-up with the day at fault (the operator
        # just wrote it); later edits that break it are logged and the calendar in force kept.
        s.calendar.file_schedules()
        # Synced before the first request: what a schedule supplied while the API was down makes
        # computable is recomputed now. ClickHouse away: logged, retried every round.
        await calendar_watch.round()
        compactor = Compactor(s.clickhouse, s.compact_every_s)
        pruner = OpenTicketsPruner(s.clickhouse, s.prune_open_every_s)
        live_figures.start()
        compactor.start()
        pruner.start()
        calendar_watch.first_delay_s = calendar_watch.every_s
        calendar_watch.start()
        log.info("api ready to serve (%s) for %s", s.env, s.city.name)
        try:
            yield
        finally:
            await calendar_watch.stop()
            await pruner.stop()
            await compactor.stop()
            await live_figures.stop()
            shares.close()
            reader.close()

    app = FastAPI(title="Hotline query API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app, metrics)
    app.add_middleware(RequestMetrics, duration=metrics.request_duration, labels=route_labels)
    for module in (reports, brief_routes, data_shares, supplied, calendar, live, alerts, health):
        app.include_router(module.router)
    return app


app = create_app()
