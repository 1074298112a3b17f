-- The early-warning episodes whose span overlaps a period, newest state of each (routes/alerts.py).
-- An episode spans [started_ms, closed_ms], or from started_ms on while open (closed_ms = 0);
-- %(lo_ms)s..%(hi_ms)s is the period as epoch ms, from the first day's local midnight to the
-- midnight after the last day (excluded). The table keeps every version of an episode until a
-- merge (ReplacingMergeTree(version)), so the newest is taken with argMax rather than FINAL: the
-- filters below must see the newest state, not a version a merge has not removed yet. The inner
-- IN only narrows the scan: if the newest version overlaps, some version does.
-- %(kind)s and %(status)s: '' for any.
SELECT id, kind, series, started_ms, detected_ms, updated_ms, closed_ms, status, observed, expected,
       score, method, detail, callers, tickets
FROM
(
    SELECT id,
           argMax(kind, version) AS kind, argMax(series, version) AS series,
           argMax(started_ms, version) AS started_ms, argMax(detected_ms, version) AS detected_ms,
           argMax(updated_ms, version) AS updated_ms, argMax(closed_ms, version) AS closed_ms,
           argMax(status, version) AS status, argMax(observed, version) AS observed,
           argMax(expected, version) AS expected, argMax(score, version) AS score,
           argMax(method, version) AS method, argMax(detail, version) AS detail,
           argMax(callers, version) AS callers, argMax(tickets, version) AS tickets
    FROM ${database}.alerts
    WHERE id IN (
        SELECT id FROM ${database}.alerts
        WHERE started_ms < %(hi_ms)s AND (closed_ms = 0 OR closed_ms >= %(lo_ms)s)
    )
    GROUP BY id
)
WHERE started_ms < %(hi_ms)s AND (closed_ms = 0 OR closed_ms >= %(lo_ms)s)
  AND (%(kind)s = '' OR kind = %(kind)s)
  AND (%(status)s = '' OR status = %(status)s)
ORDER BY detected_ms, id
