-- The per-ticket state of 0009 with index granules of 32 rows instead of 256 (same columns, same
-- fold). A facts refresh reads the state of the tickets a batch touched by their id; besides the
-- new tickets, whose ids lie together, a batch touches older tickets (completions, evaluations,
-- supervision) scattered over the whole table, and each of those cost a whole granule of merged
-- aggregate states to read. Measured on 18.16 with a city-year of state (1.45 M tickets, one
-- part): the tickets of four simulated hours (2,567) read 47,360 rows at 256 and 18,912 at 32,
-- 111 → 54 ms of CPU (medians of 3); 1,549 tickets spread over the year (ids in no useful
-- order) 336,640 → 48,960 rows, 519 → 221 ms. The index grows eightfold, to about 45,000 marks
-- a year. docs/performance.md, "Cost against history".
--
-- State is derived data: dropped, made again and refolded from the raw archive, view first, as in
-- 0008 and 0009 (events inserted meanwhile are folded by the view, the refold or both; a facts
-- refresh running while the table is away fails and is retried by its worker).
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
        AND visitParamExtractRaw(data, 'resolution_satisfied') = 'true') AS resolution_satisfied
FROM ${database}.events
WHERE entity = 'ticket'
GROUP BY subject;

-- then: refold ticket_state
