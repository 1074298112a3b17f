-- Live call figures from the facts of the last two local days (a call's day only moves
-- earlier, never out of the window). Versions are collapsed with argMax(…, events): the newest
-- version of a call is the one with the most events (0004_facts.sql).
-- Parameters: %(since)s first day read, %(today)s, %(wait_floor_ms)s (older offers without an
-- outcome are lost events, not waiting calls), %(window_ms)s start of the last 15 minutes,
-- %(decided_ms)s offers before it are past the threshold %(sl_ms)s.
SELECT
    countIf(day = %(today)s) AS offered_today,
    countIf(day = %(today)s AND status = 'answered') AS answered_today,
    countIf(day = %(today)s AND status = 'abandoned') AS abandoned_today,
    countIf(status = 'waiting' AND offered_ms >= %(wait_floor_ms)s) AS waiting,
    minIf(offered_ms, status = 'waiting' AND offered_ms >= %(wait_floor_ms)s) AS oldest_waiting_ms,
    countIf(offered_ms >= %(window_ms)s AND (status != 'waiting' OR offered_ms <= %(decided_ms)s)) AS window_decided,
    countIf(offered_ms >= %(window_ms)s AND status = 'answered' AND wait_ms <= %(sl_ms)s) AS window_within
FROM
(
    SELECT call_id, argMax(day, events) AS day, argMax(direction, events) AS direction,
           argMax(status, events) AS status, argMax(offered_ms, events) AS offered_ms,
           argMax(wait_ms, events) AS wait_ms
    FROM ${database}.call_facts
    WHERE day >= %(since)s
    GROUP BY call_id
)
WHERE direction = 'inbound'
