-- The stored episodes a cycle compares its recomputation with: newest state (and version) of every
-- episode detected at or after %(from_ms)s, and of every open one whatever its detection time.
SELECT id, kind, series, started_ms, detected_ms, updated_ms, closed_ms, observed, expected, score,
       method, detail, callers, tickets, newest
FROM ${database}.alerts_latest
WHERE detected_ms >= %(from_ms)s OR status = 'open'
