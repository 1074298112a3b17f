-- Per-ticket state, as call_state (0002). Handling events are hotline.ticket.answered (online)
-- and hotline.ticket.dispatched (department); the final one has the greatest (time_ms, id, source).
CREATE TABLE IF NOT EXISTS ${database}.ticket_state
(
    ticket_id   String,
    events      AggregateFunction(uniqExact, String, String),
    created     AggregateFunction(argMinIf,
                    Tuple(Int64, Int64, String, String, String, String, String, String, String, String, Array(String)),
                    Tuple(Int64, String, String), UInt8),
    final       AggregateFunction(argMaxIf, Tuple(Int64, Int64, String, String), Tuple(Int64, String, String), UInt8),
    dispatch    AggregateFunction(argMaxIf, Tuple(String, Int64), Tuple(Int64, String, String), UInt8),
    completed   AggregateFunction(argMaxIf, Tuple(Int64, Int64), Tuple(Int64, String, String), UInt8),
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
        (time_ms, work_s, visitParamExtractString(data, 'requester'), visitParamExtractString(data, 'channel'),
         visitParamExtractString(data, 'kind'), visitParamExtractString(data, 'category'),
         visitParamExtractString(data, 'subcategory'), visitParamExtractString(data, 'district'),
         visitParamExtractString(data, 'line'), visitParamExtractString(data, 'call_id'), tags),
        (time_ms, id, source), type = 'hotline.ticket.created') AS created,
    argMaxIfState((time_ms, work_s, type, visitParamExtractString(data, 'by')), (time_ms, id, source),
        type IN ('hotline.ticket.answered', 'hotline.ticket.dispatched')) AS final,
    argMaxIfState((visitParamExtractString(data, 'department'), deadline_ms), (time_ms, id, source),
        type = 'hotline.ticket.dispatched') AS dispatch,
    argMaxIfState((time_ms, work_s), (time_ms, id, source), type = 'hotline.ticket.completed') AS completed,
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
