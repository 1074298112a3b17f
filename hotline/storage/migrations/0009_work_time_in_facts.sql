-- Working time is computed when facts are refreshed, no longer stamped on each event.
-- The first design stamped W(t) on every ticket event in the worker and dead-lettered an event
-- whose day the working-day calendar did not cover: from 1 January 2027 every event would have
-- gone to the dead-letter topic. Now the worker needs no calendar; the calendar (the library and
-- the year schedules operators supply, hotline/calendar/) is written to `work_calendar`, and the
-- facts refresh reads it (hotline/storage/sql/ticket_facts.sql): a ticket whose creation or
-- completion falls on a day it does not cover has its handling time pending, and supplying the
-- year refreshes exactly those tickets (hotline/storage/work_calendar.py).
--
-- calendar_schedules: every version of every supplied year schedule (JSON, hotline/calendar/
-- schedule.py), who supplied it and whether it was withdrawn; the newest version of a year wins.
CREATE TABLE IF NOT EXISTS ${database}.calendar_schedules
(
    year        UInt16,
    version     UInt64,
    supplied_at DateTime,
    origin      String,
    sha256      String,
    document    String,
    withdrawn   UInt8
)
ENGINE = MergeTree()
ORDER BY (year, version);

-- work_calendar: the calendar in force, one row per change (the newest version wins). before[i + 1]
-- is the number of working days from `first` up to, not including, day i; its length is one more
-- than the days covered, so W(t) of day i is before[i + 1] * 86400 plus, on a working day
-- (before[i + 2] - before[i + 1] = 1), the seconds since local midnight.
CREATE TABLE IF NOT EXISTS ${database}.work_calendar
(
    version       UInt64,
    written_at    DateTime,
    first         Date,
    covered_until Date,
    before        Array(UInt32),
    sources       String,
    problems      Array(String)
)
ENGINE = MergeTree()
ORDER BY version;

-- A pending handling time (completed, but the calendar does not cover the creation or completion
-- day yet) is handling_work_s = -1 in ticket_facts: no column is added, because 18.16 has no
-- idempotent ALTER (no IF NOT EXISTS) and every statement here must be safe to run again.

-- The per-ticket state without the stamps (same fold otherwise, as in 0008). State is derived
-- data: dropped, made again and refolded from the raw archive, view first (see 0008); the
-- refold runs the view's own SELECT (the `then:` line below, hotline/storage/migrate.py).
DROP TABLE IF EXISTS ${database}.ticket_state_mv;
DROP TABLE IF EXISTS ${database}.ticket_state;

CREATE TABLE IF NOT EXISTS ${database}.ticket_state
(
    ticket_id   String,
    events      AggregateFunction(uniqExact, String, String),
    created     AggregateFunction(argMinIf,
                    Tuple(Int64, String, String, String, String, String, String, String, String, Array(String)),
                    String, UInt8),
    final       AggregateFunction(argMaxIf, Tuple(Int64, String, String), String, UInt8),
    dispatch    AggregateFunction(argMaxIf, Tuple(String, Int64), String, UInt8),
    completed   AggregateFunction(argMaxIf, Int64, String, UInt8),
    to_110      AggregateFunction(max, UInt8),
    supervised  AggregateFunction(uniqExactIf, String, String, UInt8),
    evaluation_requests AggregateFunction(uniqExactIf, String, String, UInt8),
    evaluations AggregateFunction(uniqExactIf, String, String, UInt8),
    service_rated AggregateFunction(uniqExactIf, String, String, UInt8),
    service_satisfied AggregateFunction(uniqExactIf, String, String, UInt8),
    resolution_rated AggregateFunction(uniqExactIf, String, String, UInt8),
    resolution_satisfied AggregateFunction(uniqExactIf, String, String, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY ticket_id
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.ticket_state_mv TO ${database}.ticket_state AS
SELECT
    subject AS ticket_id,
    uniqExactState(source, id) AS events,
    argMinIfState(
        (time_ms, visitParamExtractString(data, 'requester'), visitParamExtractString(data, 'channel'),
         visitParamExtractString(data, 'kind'), visitParamExtractString(data, 'category'),
         visitParamExtractString(data, 'subcategory'), visitParamExtractString(data, 'district'),
         visitParamExtractString(data, 'line'), visitParamExtractString(data, 'call_id'), tags),
        concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source), type = 'hotline.ticket.created') AS created,
    argMaxIfState((time_ms, type, visitParamExtractString(data, 'by')), concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source),
        type IN ('hotline.ticket.answered', 'hotline.ticket.dispatched')) AS final,
    argMaxIfState((visitParamExtractString(data, 'department'), deadline_ms), concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source),
        type = 'hotline.ticket.dispatched') AS dispatch,
    argMaxIfState(time_ms, concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source), type = 'hotline.ticket.completed') AS completed,
    maxState(toUInt8(type = 'hotline.ticket.transferred' AND visitParamExtractString(data, 'to') = '110')) AS to_110,
    uniqExactIfState(source, id, type = 'hotline.ticket.supervised') AS supervised,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluation_requested') AS evaluation_requests,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluated') AS evaluations,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluated'
        AND visitParamExtractRaw(data, 'service_satisfied') IN ('true', 'false')) AS service_rated,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluated'
        AND visitParamExtractRaw(data, 'service_satisfied') = 'true') AS service_satisfied,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluated'
        AND visitParamExtractRaw(data, 'resolution_satisfied') IN ('true', 'false')) AS resolution_rated,
    uniqExactIfState(source, id, type = 'hotline.ticket.evaluated'
        AND visitParamExtractRaw(data, 'resolution_satisfied') = 'true') AS resolution_satisfied
FROM ${database}.events
WHERE entity = 'ticket'
GROUP BY subject;

-- then: refold ticket_state

-- events.work_s stays, unused: workers no longer write it (it reads 0 in rows from now on), and
-- 18.16 cannot drop a column idempotently (no IF EXISTS).
