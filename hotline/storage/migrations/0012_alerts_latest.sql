-- alerts_latest: the newest state of every early-warning episode, written down once for the two
-- services that read it (the alerts service compares its recomputations with it, the query API
-- answers /v1/alerts from it). `alerts` keeps every version of an episode until a merge
-- (ReplacingMergeTree(version)); argMax by version, not FINAL, so a filter over the view always
-- sees the newest state, never a version a merge has not removed yet. `newest` is the version
-- (named apart: 18.16 would read a `version` alias inside the other argMax calls). An alerts
-- table is small (episodes, not tickets): the view aggregates all of it for every query.
CREATE VIEW IF NOT EXISTS ${database}.alerts_latest AS
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
GROUP BY id;
