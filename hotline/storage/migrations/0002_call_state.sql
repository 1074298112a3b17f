-- Per-call state: the fold of hotline/fold.py as ClickHouse aggregate states. The view folds each
-- inserted block of events; merges (and -Merge at read time) join the partial states. Every
-- state is a lattice join (min, max, argMin/argMax keyed by (time_ms, id, source), set cardinality), so
-- duplicates, order and lateness do not change the result. Small granules: the facts refresh
-- reads a set of call ids.
CREATE TABLE IF NOT EXISTS ${database}.call_state
(
    call_id     String,
    events      AggregateFunction(uniqExact, String, String),
    offered     AggregateFunction(argMinIf, Tuple(Int64, String, String, String), Tuple(Int64, String, String), UInt8),
    answered    AggregateFunction(argMinIf, Tuple(Int64, String), Tuple(Int64, String, String), UInt8),
    abandoned_ms AggregateFunction(minIf, Int64, UInt8),
    ended_ms    AggregateFunction(maxIf, Int64, UInt8)
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
        (time_ms, id, source), type = 'hotline.call.offered') AS offered,
    argMinIfState((time_ms, visitParamExtractString(data, 'agent_id')), (time_ms, id, source),
        type = 'hotline.call.answered') AS answered,
    minIfState(time_ms, type = 'hotline.call.abandoned') AS abandoned_ms,
    maxIfState(time_ms, type = 'hotline.call.ended') AS ended_ms
FROM ${database}.events
WHERE entity = 'call'
GROUP BY subject;
