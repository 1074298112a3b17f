-- The validator of a cached report: how often the facts of its days were refreshed, and the
-- version of the year's supplied figures. Both only grow (0005_report_support.sql).
SELECT
    (SELECT sum(changes) FROM ${database}.facts_changes WHERE day >= %(plo)s AND day <= %(hi)s) AS changes,
    (SELECT max(version) FROM ${database}.supplied_figures WHERE year = %(year)s) AS supplied
