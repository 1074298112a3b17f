-- The tickets with an unsatisfied evaluation in the period [%(lo_ms)s, %(hi_ms)s) and how many
-- unsatisfied evaluations each had up to the as-of instant %(asof_ms)s (its escalation level).
-- Unsatisfied: the resolution answer is false, or with %(any)s = 1 either answer is. `time`
-- (seconds) prunes the monthly partitions; time_ms decides. A CloudEvent stored twice before a
-- merge counts once (uniqExact over source and id).
SELECT subject AS ticket_id,
       uniqExactIf(source, id, time_ms < %(asof_ms)s) AS unsatisfied,
       maxIf(time_ms, time_ms >= %(lo_ms)s AND time_ms < %(hi_ms)s) AS last_ms
FROM ${database}.events
WHERE entity = 'ticket' AND type = 'hotline.ticket.evaluated'
  AND (visitParamExtractRaw(data, 'resolution_satisfied') = 'false'
       OR (%(any)s = 1 AND visitParamExtractRaw(data, 'service_satisfied') = 'false'))
  AND subject IN (
      SELECT subject FROM ${database}.events
      WHERE entity = 'ticket' AND type = 'hotline.ticket.evaluated'
        AND time >= toDateTime(%(lo_s)s) AND time < toDateTime(%(hi_s)s)
        AND time_ms >= %(lo_ms)s AND time_ms < %(hi_ms)s
        AND (visitParamExtractRaw(data, 'resolution_satisfied') = 'false'
             OR (%(any)s = 1 AND visitParamExtractRaw(data, 'service_satisfied') = 'false')))
GROUP BY subject
