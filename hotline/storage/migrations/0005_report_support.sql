-- What the query API needs beside the facts.
--
-- facts_changes: how often the facts of each day (the city's local date of the offer /
-- creation) were refreshed. Every facts refresh adds 1 for each day it touched, the days the
-- entities had before it and after it (hotline/storage/facts.py); SummingMergeTree keeps the
-- sums when it merges, so sum(changes) over a period only ever grows and a cached report of the
-- period is stale exactly when that sum moved (docs/architecture.md, decision 4).
CREATE TABLE IF NOT EXISTS ${database}.facts_changes
(
    day     Date,
    entity  String,
    changes UInt64
)
ENGINE = SummingMergeTree()
ORDER BY (day, entity);

-- supplied_figures: figures that are not in the event stream (staff, knowledge base entries,
-- regulations), one JSON document per year, written by a report builder through the API and
-- shown beside the computed figures, marked as supplied. The newest version wins.
CREATE TABLE IF NOT EXISTS ${database}.supplied_figures
(
    year       UInt16,
    version    UInt64,
    document   String,
    supplied_by String,
    updated_at DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY year;
