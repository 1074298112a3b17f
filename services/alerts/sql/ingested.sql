-- What was ingested, second by second of `ingested_at` from %(from_s)s on: the distinct ticket
-- events (source, id) stored with that stamp and the oldest event time among them. Distinct, so a
-- duplicate delivery of an event already seen changes no count (and triggers no recomputation),
-- and a merge folding duplicates away never lowers one.
SELECT toUInt32(ingested_at) AS second, uniqExact(source, id) AS events, min(time_ms) AS oldest_ms
FROM ${database}.events
WHERE entity = 'ticket' AND ingested_at >= toDateTime(%(from_s)s)
GROUP BY second
ORDER BY second
