-- alerts: the early-warning episodes (services/alerts/), one row per state of an episode. An
-- episode is keyed by (kind, series, started) (`id`, services/alerts/episode.py), so the same
-- events give the same id live or in a backfill, and writing an episode twice changes nothing:
-- the highest `version` of an id wins (a later state of the episode has a higher one). Readers
-- that need one row per episode before merges use FINAL (or argMax by version).
-- series: the dimension values as a compact JSON object with sorted keys (visitParamExtractString
-- reads one); series_text: the same as one line, `category=…|district=…`. Times are epoch ms of
-- event time; closed_ms is 0 while open. day: the city's local date of started_ms.
CREATE TABLE IF NOT EXISTS ${database}.alerts
(
    id          String,
    kind        String,
    series      String,
    series_text String,
    started_ms  Int64,
    detected_ms Int64,
    updated_ms  Int64,
    closed_ms   Int64,
    status      String,
    observed    Float64,
    expected    Float64,
    score       Float64,
    method      String,
    detail      String,
    callers     UInt32,
    tickets     Array(String),
    version     UInt64,
    day         Date,
    written_at  DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- alerts_progress: how far the detector got, written after a cycle's alerts were published and
-- stored. A restarted detector continues from here: the ingestion seconds it has seen, with the
-- distinct events stored in each (so events ingested while it was down, for any event time, are
-- recomputed), from `seen_from_s` (epoch seconds of `events.ingested_at`) on, and the watermark it
-- evaluated up to. Without it a restart could not tell a backfill that arrived meanwhile from old
-- data and would have to recompute the whole history. The newest version of a detector's row wins.
CREATE TABLE IF NOT EXISTS ${database}.alerts_progress
(
    detector     String,
    version      UInt64,
    cycle_at     DateTime,
    watermark_ms Int64,
    seen_from_s  UInt32,
    seen_seconds Array(UInt32),
    seen_events  Array(UInt64),
    written_at   DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY detector;
