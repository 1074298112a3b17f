-- The raw event archive: every accepted CloudEvent, kept. Duplicates (same source + id, hence
-- the same entity and subject) share the sorting key, so ReplacingMergeTree folds them away on
-- merge; readers that need exact counts before merges use FINAL or group by (source, id).
-- Sorting by entity and subject keeps one call's or ticket's events together for the folds.
-- time_ms, local_date, deadline_ms and tags are the worker's enrichment (hotline/events.py);
-- data is compact JSON (visitParamExtract* reads it). work_s is no longer written (always 0):
-- working time is computed when facts are refreshed (0009); 18.16 cannot drop a column
-- idempotently, so it stays.
CREATE TABLE IF NOT EXISTS ${database}.events
(
    entity      Enum8('call' = 1, 'ticket' = 2),
    subject     String,
    source      String,
    id          String,
    type        String,
    time        DateTime,
    time_ms     Int64,
    local_date  Date,
    work_s      Int64,
    data        String,
    extensions  String,
    deadline_ms Int64,
    tags        Array(String),
    topic       String,
    partition   UInt16,
    offset      UInt64,
    ingested_at DateTime
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (entity, subject, source, id);
