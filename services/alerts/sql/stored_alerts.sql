-- The stored episodes a cycle compares its recomputation with: newest state (and version) of every
-- episode detected at or after %(from_ms)s, and of every open one whatever its detection time.
-- (`newest`, not `version`: 18.16 would read the other argMax's `version` as that alias.)
SELECT id, kind, series, started_ms, detected_ms, updated_ms, closed_ms, observed, expected, score,
       method, detail, callers, tickets, newest
FROM
(
    SELECT id,
           argMax(kind, version) AS kind, argMax(series, version) AS series,
           argMax(started_ms, version) AS started_ms, argMax(detected_ms, version) AS detected_ms,
           argMax(updated_ms, version) AS updated_ms, argMax(closed_ms, version) AS closed_ms,
           argMax(status, version) AS status, argMax(observed, version) AS observed,
           argMax(expected, version) AS expected, argMax(score, version) AS score,
           argMax(method, version) AS method, argMax(detail, version) AS detail,
           argMax(callers, version) AS callers, argMax(tickets, version) AS tickets,
           max(version) AS newest
    FROM ${database}.alerts
    GROUP BY id
)
WHERE detected_ms >= %(from_ms)s OR status = 'open'
