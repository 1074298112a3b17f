-- Which days' facts have no superseded versions left (hotline/storage/compaction.py).
-- A compaction reads every day's change count (facts_changes), then merges the facts table into
-- one version per entity (OPTIMIZE … FINAL), then records the counts it read. While a period's
-- change counts still equal the recorded ones, no refresh has touched its days since, so its
-- rows hold one version per entity and reports may read them without FINAL (which is slow on
-- 18.16: one merging stream). The newest snapshot of a day wins.
CREATE TABLE IF NOT EXISTS ${database}.facts_compacted
(
    entity   String,
    day      Date,
    changes  UInt64,
    snapshot UInt64
)
ENGINE = ReplacingMergeTree(snapshot)
ORDER BY (entity, day);
