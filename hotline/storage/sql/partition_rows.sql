-- The rows of a facts refresh (call_facts.sql, ticket_facts.sql, where ${partition_rows} stands),
-- one layer around the state's finalised values: the facts' own day (of ${first}, the earliest
-- offer or creation), the days of the other offers or creations (${times}) that fall in another
-- month, the facts tables' partition (stale_days), and which row this is, k = 0 the facts,
-- k >= 1 a tombstone on stale_days[k] (migrations 0015, by year, and 0016, by month).
SELECT *,
    if(${first} > 0, toDate(toDateTime(intDiv(${first}, 1000)), %(tz)s), toDate(0)) AS own_day,
    arrayFilter(x -> toYYYYMM(x) != toYYYYMM(own_day),
                arrayDistinct(arrayMap(ms -> toDate(toDateTime(intDiv(ms, 1000)), %(tz)s), ${times}))) AS stale_days,
    arrayJoin(range(toUInt64(length(stale_days) + 1))) AS k
