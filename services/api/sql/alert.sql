-- One early-warning episode by id, its newest state (alerts_latest, migration 0012; no row: no
-- such episode).
SELECT id, kind, series, started_ms, detected_ms, updated_ms, closed_ms, status, observed, expected,
       score, method, detail, callers, tickets
FROM ${database}.alerts_latest
WHERE id = %(id)s
