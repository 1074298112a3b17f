-- The episodes still open, newest state of each, by kind (the open-alerts gauge), and the earliest
-- start among those started from %(since_ms)s on (0: none): a cycle evaluates from there on, so
-- that every open episode is recomputed from its start (a surge's start depends on the evidence
-- since then) and can be updated or closed. An older open episode does not pull the range back
-- (cycles stay bounded): the diff closes it by its rule from its stored evidence (diff.py).
SELECT kind, count() AS open, minIf(started_ms, started_ms >= %(since_ms)s) AS oldest_started_ms
FROM ${database}.alerts_latest
WHERE status = 'open'
GROUP BY kind
