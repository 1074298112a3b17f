-- Live call figures from the facts of the last two local days (a call's last_day only moves
-- earlier, never out of the window). Versions are collapsed with argMax(…, version): the newest
-- version of a call is the one with the most events, and of equal events its facts rank above a
-- tombstone (migration 0015). The aliases differ
-- from the column names: 18.16 would resolve `day` in the inner WHERE to the aggregate.
-- Parameters: %(since)s first last_day read, %(today)s, %(wait_floor_ms)s (older offers without an
-- outcome are lost events, not waiting calls), %(window_ms)s start of the last 15 minutes,
-- %(decided_ms)s offers before it are past the threshold %(sl_ms)s.
SELECT
    countIf(last_day = %(today)s) AS offered_today,
    countIf(last_day = %(today)s AND last_status = 'answered') AS answered_today,
    countIf(last_day = %(today)s AND last_status = 'abandoned') AS abandoned_today,
    countIf(last_status = 'waiting' AND last_offered_ms >= %(wait_floor_ms)s) AS waiting,
    minIf(last_offered_ms, last_status = 'waiting' AND last_offered_ms >= %(wait_floor_ms)s) AS oldest_waiting_ms,
    countIf(last_offered_ms >= %(window_ms)s
            AND (last_status != 'waiting' OR last_offered_ms <= %(decided_ms)s)) AS window_decided,
    countIf(last_offered_ms >= %(window_ms)s AND last_status = 'answered' AND last_wait_ms <= %(sl_ms)s) AS window_within
FROM
(
    SELECT call_id, argMax(day, version) AS last_day, argMax(direction, version) AS last_direction,
           argMax(status, version) AS last_status, argMax(offered_ms, version) AS last_offered_ms,
           argMax(wait_ms, version) AS last_wait_ms
    FROM ${database}.call_facts
    WHERE day >= %(since)s
    GROUP BY call_id
)
WHERE last_direction = 'inbound'
