-- The early-warning episodes whose span overlaps a period, newest state of each (routes/alerts.py;
-- alerts_latest, migration 0012). An episode spans [started_ms, closed_ms], or from started_ms on
-- while open (closed_ms = 0); %(lo_ms)s..%(hi_ms)s is the period as epoch ms, from the first day's
-- local midnight to the midnight after the last day (excluded). %(kind)s and %(status)s: '' for any.
SELECT id, kind, series, started_ms, detected_ms, updated_ms, closed_ms, status, observed, expected,
       score, method, detail, callers, tickets
FROM ${database}.alerts_latest
WHERE started_ms < %(hi_ms)s AND (closed_ms = 0 OR closed_ms >= %(lo_ms)s)
  AND (%(kind)s = '' OR kind = %(kind)s)
  AND (%(status)s = '' OR status = %(status)s)
ORDER BY detected_ms, id
