-- call_facts and ticket_facts partitioned by the month of their `day` instead of its year
-- (0015), so that a report reads with FINAL only the months whose facts changed since the last
-- compaction, and every other month without it (services/api/facts_reader.py; docs/performance.md,
-- "A changing year, month by month"). With one partition a year, the FINAL read of a year still
-- receiving events merged every version of the year, the 1 s of the current year's report.
--
-- Everything 0015 says of the years holds of the months: versions of a call or ticket stay in
-- one partition while its offer or creation day stays in one month; a second, earlier offer or
-- creation in another month leaves a tombstone there (hotline/storage/sql/partition_rows.sql, now
-- by month). The state is unchanged; only the facts are made again from it (`then:` lines,
-- hotline/storage/migrate.py), in the city's time zone, and ticket_open filled from the new facts
-- (its view is made again over the new table). Reports read no facts until the refresh is done;
-- a facts refresh of a worker running meanwhile fails and is retried.
DROP TABLE IF EXISTS ${database}.ticket_open_mv;

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
PARTITION BY toYYYYMM(day)
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
PARTITION BY toYYYYMM(day)
ORDER BY ticket_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.ticket_open_mv TO ${database}.ticket_open AS
SELECT ticket_id, events, toUInt8(handling = 'department' AND completed = 0) AS open, deadline_ms,
       now() AS written
FROM ${database}.ticket_facts
WHERE dispatched = 1;

-- then: refresh call_facts
-- then: refresh ticket_facts
-- then: fill ticket_open from its view
