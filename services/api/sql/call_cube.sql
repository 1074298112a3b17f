-- Calls of the period summed per direction, with the service-level choices of the request
-- (threshold %(sl_ms)s, short abandons %(short_ms)s; docs/domain.md "Choices made explicit").
-- wait_ms / talk_ms are -1 when unknown (call_facts.sql).
-- ${month_column} / ${month_key}: empty, or column m, the month of each row's days, for a reader
-- that keeps a compacted read's rows month by month (facts_reader.py).
SELECT
    ${month_column}toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    ${bucket} AS bucket,
    direction,
    count() AS offered,
    countIf(status = 'answered') AS answered,
    countIf(status = 'abandoned') AS abandoned,
    countIf(status = 'abandoned' AND %(short_ms)s > 0 AND wait_ms <= %(short_ms)s) AS short_abandoned,
    countIf(status = 'answered' AND wait_ms <= %(sl_ms)s) AS answered_within,
    countIf(status = 'abandoned' AND wait_ms <= %(sl_ms)s
            AND NOT (%(short_ms)s > 0 AND wait_ms <= %(short_ms)s)) AS abandoned_within,
    sumIf(wait_ms, status = 'answered') AS wait_ms_sum,
    countIf(status = 'answered' AND talk_ms >= 0) AS talked,
    sumIf(talk_ms, status = 'answered' AND talk_ms >= 0) AS talk_ms_sum,
    countIf(status = 'answered' AND talk_ms > 600000) AS over_10min,
    maxIf(talk_ms, status = 'answered') AS longest_talk_ms
FROM ${database}.call_facts ${final}
WHERE offered_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
GROUP BY ${month_key}cur, bucket, direction
