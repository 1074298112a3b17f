-- call_facts and ticket_facts partitioned by the year of their `day` (the city's date of the call's
-- offer, of the ticket's creation), so that a read of one year, with FINAL, reads that year's
-- parts only, whatever the years stored (docs/performance.md, "Cost against history": the
-- current year's report read every year's facts and grew with each, and so did the live figures'
-- scans of the last two days). Told for tickets below; calls alike, with their offers.
--
-- ReplacingMergeTree replaces a version only within its partition, and FINAL on 18.16 merges the
-- versions of every part it reads, of any partition, but reads only the partitions the filter on
-- `day` keeps. A ticket's versions stay in one partition as long as its creation day stays in
-- one year. Two cases move it:
-- - a version written before the ticket's creation was folded has no day (1970-01-01, its own
--   partition); every reader of the facts takes created tickets only (created_ms > 0), and a
--   read of the whole table with FINAL still gives the newest version (merged across partitions);
-- - a second, earlier hotline.ticket.created in another year moves the creation day across the
--   year. The version left in the old year would be read as that year's ticket. So a refresh
--   also writes, into every other year one of the ticket's creation times falls in, a tombstone:
--   the ticket's facts with `created_ms` 0 and that creation's day (hotline/storage/sql/
--   ticket_facts.sql). It outranks any version written there before; readers skip it.
-- `version` orders the rows: events * 2 + 1 for the ticket's facts (its default, for a row written
-- without it), events * 2 for a tombstone, so a tombstone outranks every older version and never
-- the facts it stands beside. `events` keeps its meaning. For the tombstones the state keeps
-- every creation time (`creations`).
--
-- State and facts are derived data: both are dropped, made again and computed from the raw
-- archive (`then:` lines, hotline/storage/migrate.py): the state refolded, then every call's and
-- ticket's facts refreshed from it, in the city's time zone, then ticket_open filled from the new facts (it keeps
-- its rows; its view is made again over the new table). Reports read no facts until the
-- refresh is done; a facts refresh of a worker running meanwhile fails and is retried.
DROP TABLE IF EXISTS ${database}.ticket_open_mv;
DROP TABLE IF EXISTS ${database}.call_state_mv;
DROP TABLE IF EXISTS ${database}.call_state;

CREATE TABLE IF NOT EXISTS ${database}.call_state
(
    call_id     String,
    events      AggregateFunction(uniqExact, String, String),
    offered     AggregateFunction(argMinIf, Tuple(Int64, String, String, String), String, UInt8),
    answered    AggregateFunction(argMinIf, Tuple(Int64, String), String, UInt8),
    abandoned_ms AggregateFunction(minIf, Int64, UInt8),
    ended_ms    AggregateFunction(maxIf, Int64, UInt8),
    offers      AggregateFunction(groupUniqArrayIf, Int64, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY call_id
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.call_state_mv TO ${database}.call_state AS
SELECT
    subject AS call_id,
    uniqExactState(source, id) AS events,
    argMinIfState(
        (time_ms, visitParamExtractString(data, 'direction'), visitParamExtractString(data, 'line'),
         visitParamExtractString(data, 'caller_hash')),
        concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source), type = 'hotline.call.offered') AS offered,
    argMinIfState((time_ms, visitParamExtractString(data, 'agent_id')), concat(toString(time_ms + toInt64(2000000000000000)), id, '\0', source),
        type = 'hotline.call.answered') AS answered,
    minIfState(time_ms, type = 'hotline.call.abandoned') AS abandoned_ms,
    maxIfState(time_ms, type = 'hotline.call.ended') AS ended_ms,
    groupUniqArrayIfState(time_ms, type = 'hotline.call.offered') AS offers
FROM ${database}.events
WHERE entity = 'call'
GROUP BY subject;

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
    resolution_satisfied AggregateFunction(uniqExactIf, String, String, UInt8),
    creations   AggregateFunction(groupUniqArrayIf, Int64, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY ticket_id
SETTINGS index_granularity = 32;

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
        AND visitParamExtractRaw(data, 'resolution_satisfied') = 'true') AS resolution_satisfied,
    groupUniqArrayIfState(time_ms, type = 'hotline.ticket.created') AS creations
FROM ${database}.events
WHERE entity = 'ticket'
GROUP BY subject;

DROP TABLE IF EXISTS ${database}.call_facts;

CREATE TABLE IF NOT EXISTS ${database}.call_facts
(
    call_id      String,
    events       UInt64,
    version      UInt64 DEFAULT events * 2 + 1,
    day          Date,
    offered_ms   Int64,
    direction    String,
    line         String,
    caller_hash  String,
    answered_ms  Int64,
    agent_id     String,
    abandoned_ms Int64,
    ended_ms     Int64,
    status       String,
    wait_ms      Int64,
    talk_ms      Int64,
    refreshed_at DateTime
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(day)
ORDER BY call_id;

DROP TABLE IF EXISTS ${database}.ticket_facts;

CREATE TABLE IF NOT EXISTS ${database}.ticket_facts
(
    ticket_id    String,
    events       UInt64,
    version      UInt64 DEFAULT events * 2 + 1,
    day          Date,
    created_ms   Int64,
    requester    String,
    channel      String,
    source       String,
    kind         String,
    category     String,
    subcategory  String,
    district     String,
    line         String,
    call_id      String,
    tags         Array(String),
    handling     String,
    handled_ms   Int64,
    department   String,
    deadline_ms  Int64,
    dispatched   UInt8,
    completed    UInt8,
    completed_ms Int64,
    handling_work_s Int64,
    on_time      UInt8,
    from_110     UInt8,
    to_110       UInt8,
    supervised   UInt64,
    evaluation_requests UInt64,
    evaluations  UInt64,
    service_rated UInt64,
    service_satisfied UInt64,
    resolution_rated UInt64,
    resolution_satisfied UInt64,
    refreshed_at DateTime
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(day)
ORDER BY ticket_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.ticket_open_mv TO ${database}.ticket_open AS
SELECT ticket_id, events, toUInt8(handling = 'department' AND completed = 0) AS open, deadline_ms,
       now() AS written
FROM ${database}.ticket_facts
WHERE dispatched = 1;

-- then: refold call_state
-- then: refold ticket_state
-- then: refresh call_facts
-- then: refresh ticket_facts
-- then: fill ticket_open from its view
