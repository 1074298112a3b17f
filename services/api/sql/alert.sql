-- One early-warning episode by id, its newest state (no row: no such episode). argMax by
-- version, as alerts.sql, so a version a merge has not removed yet is never answered.
SELECT id,
       argMax(kind, version) AS kind, argMax(series, version) AS series,
       argMax(started_ms, version) AS started_ms, argMax(detected_ms, version) AS detected_ms,
       argMax(updated_ms, version) AS updated_ms, argMax(closed_ms, version) AS closed_ms,
       argMax(status, version) AS status, argMax(observed, version) AS observed,
       argMax(expected, version) AS expected, argMax(score, version) AS score,
       argMax(method, version) AS method, argMax(detail, version) AS detail,
       argMax(callers, version) AS callers, argMax(tickets, version) AS tickets
FROM ${database}.alerts
WHERE id = %(id)s
GROUP BY id
