-- Flat per-call and per-ticket facts that reports read (docs/architecture.md, decision 4). Refreshed
-- from call_state / ticket_state (hotline/storage/sql/*_facts.sql). The version is the number of
-- distinct events folded: it only grows, so a stale refresh never replaces a newer one, and
-- equal versions carry equal facts. Not partitioned by time: ReplacingMergeTree replaces only
-- within a partition, and a late event can move a call's or ticket's day.
-- Absent instants are 0; `day` is the city's local date of the offer / creation.
CREATE TABLE IF NOT EXISTS ${database}.call_facts
(
    call_id      String,
    events       UInt64,
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
ENGINE = ReplacingMergeTree(events)
ORDER BY call_id;

CREATE TABLE IF NOT EXISTS ${database}.ticket_facts
(
    ticket_id    String,
    events       UInt64,
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
ENGINE = ReplacingMergeTree(events)
ORDER BY ticket_id;
