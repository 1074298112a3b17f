"""The simulated facts of bench/api.py: two city-years of call and ticket facts written straight
in SQL (`INSERT … SELECT … FROM numbers(N)`), every column a deterministic function of
cityHash64(number, seed), plus yesterday's and today's rows for /v1/live. See bench/api.py."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

DATABASE = "hotline_bench"
TZ = ZoneInfo("Asia/Shanghai")

# Per year: tickets, inbound answered / abandoned, outbound answered / unanswered. 2022: 10 % more
# tickets; calls from the published year-over-year (inbound answered -6.35 %, outbound +158.62 %).
VOLUMES = {2023: (1_450_699, 1_421_313, 120_000, 155_517, 25_000),
           2022: (1_595_769, 1_517_686, 135_000, 60_134, 10_000)}
PER_DAY_CALLS, PER_DAY_TICKETS, PER_DAY_EVENTS = 4_716, 3_975, 33_000
CATEGORIES = ["民生保障", "经济综合", "住房保障", "交通出行", "城乡建设", "党务政务", "卫生健康", "教育文体",
              "劳动保障", "市场监管", "生态环境", "农业农村", "公共安全", "政法事务", "其他"]
DEPARTMENTS = ["市公安局", "市住建局", "市卫健委", "金融监管总局淮安监管分局", "市交通局", "市人社局", "市教育局",
               "市市场监管局", "市城管局", "市自然资源局", "市生态环境局", "市水利局", "市农业农村局", "市民政局",
               "市医保局", "市税务局", "国网淮安供电公司", "市水务集团", "清江浦区", "淮安区", "淮阴区", "洪泽区",
               "涟水县", "盱眙县", "金湖县", "经济技术开发区"] + [f"市直单位{i:02d}" for i in range(54)]
DISTRICTS = ["清江浦区", "淮安区", "淮阴区", "洪泽区", "涟水县", "盱眙县", "金湖县", "经济技术开发区"]
TICKET_COLUMNS = ("ticket_id, events, day, created_ms, requester, channel, source, kind, category, subcategory, "
                  "district, line, call_id, tags, handling, handled_ms, department, deadline_ms, dispatched, "
                  "completed, completed_ms, handling_work_s, on_time, from_110, to_110, supervised, "
                  "evaluation_requests, evaluations, service_rated, service_satisfied, resolution_rated, "
                  "resolution_satisfied, refreshed_at")
CALL_COLUMNS = ("call_id, events, day, offered_ms, direction, line, caller_hash, answered_ms, agent_id, "
                "abandoned_ms, ended_ms, status, wait_ms, talk_ms, refreshed_at")
# The older version of a revised ticket: created (and dispatched, if it went to a department),
# nothing completed or evaluated yet. Of a revised call: offered only.
OLD_TICKET = {"events": "old_events", "handling": "if(handling = 'department', 'department', '')",
              "handled_ms": "if(handling = 'department', handled_ms, 0)", "completed": "0", "completed_ms": "0",
              "handling_work_s": "0", "on_time": "0", "supervised": "0", "evaluation_requests": "0",
              "evaluations": "0", "service_rated": "0", "service_satisfied": "0", "resolution_rated": "0",
              "resolution_satisfied": "0"}
OLD_CALL = {"events": "1", "answered_ms": "0", "agent_id": "''", "abandoned_ms": "0", "ended_ms": "0",
            "status": "'waiting'", "wait_ms": "-1", "talk_ms": "-1"}


def _arr(items: list[str]) -> str:
    return "[" + ", ".join(f"'{s}'" for s in items) + "]"


class Rand:
    """SQL for deterministic pseudo-random draws of one population: H(k) a UInt64, U(k) in (0, 1)."""

    def __init__(self, seed: int):
        self.seed = seed

    def H(self, k: int) -> str:
        return f"cityHash64(number, {self.seed}, {k})"

    def U(self, k: int) -> str:
        return f"(({self.H(k)} % 1000003 + 0.5) / 1000003)"


def _day_ms(day: str) -> str:
    """The instant a local day starts, in ms (Asia/Shanghai is UTC+8 all year)."""
    return f"(toInt64(toUInt16({day})) * 86400 - 28800) * 1000"


def ticket_attrs(r: Rand) -> str:
    """Every ticket column but id, version, day, created and handling (the caller's), as aliases."""
    return f"""
        if({r.U(7)} < 0.0082, 'enterprise', 'citizen') AS requester,
        {r.U(8)} AS uc,
        multiIf(uc < 0.97645, 'phone',
                uc < 0.989695, {_arr(['web', 'app', 'app', 'wechat', 'wechat', 'wechat', 'email', 'sms', 'video', 'web'])}[{r.H(9)} % 10 + 1],
                uc < 0.998008, '110', uc < 0.9984, 'maishangyi', uc < 0.9994, 'business_hotline', 'other_platform') AS channel,
        transform(channel, ['phone', 'web', 'app', 'wechat', 'email', 'sms', 'video'],
                  ['phone', 'internet', 'internet', 'internet', 'internet', 'internet', 'internet'], 'transfer_in') AS source,
        if({r.U(10)} < 0.48, 'consult', 'non_consult') AS kind,
        {_arr(CATEGORIES)}[toUInt32(floor(15 * pow({r.U(11)}, 2.2))) + 1] AS category,
        concat(category, '/', toString({r.H(12)} % 6)) AS subcategory,
        {_arr(DISTRICTS)}[{r.H(13)} % 8 + 1] AS district,
        if({r.U(14)} < 0.0015, 'talent', '12345') AS line,
        if(channel = 'phone', concat('C', toString(number)), '') AS call_id,
        multiIf({r.U(15)} < 0.0095, ['epidemic'], {r.U(15)} < 0.0100, ['epidemic', 'heating'],
                {r.U(15)} < 0.0140, ['heating'], {r.U(15)} < 0.0160, ['flood'], emptyArrayString()) AS tags,
        if(handling = 'department', {_arr(DEPARTMENTS)}[toUInt32(floor(80 * pow({r.U(18)}, 1.5))) + 1], '') AS department,
        if(department != '', created_ms + 15 * 86400000, 0) AS deadline_ms,
        toUInt8(department != '') AS dispatched,
        if(handling = 'department', toInt64(-log({r.U(20)}) * 2.3 * 86400), toInt64(-log({r.U(20)}) * 600)) AS work_s,
        completed_ms > 0 AND (deadline_ms = 0 OR completed_ms <= deadline_ms) AS on_time,
        toUInt8(channel = '110') AS from_110,
        toUInt8({r.U(22)} < 0.0018) AS to_110,
        toUInt64({r.U(23)} < 0.01) AS supervised,
        toUInt64(completed) + toUInt64({r.U(24)} < 0.345) AS evaluation_requests,
        toUInt64(completed AND {r.U(25)} < 0.416) AS evaluations,
        evaluations AS service_rated,
        toUInt64(evaluations > 0 AND {r.U(26)} < 0.988) AS service_satisfied,
        toUInt64(evaluations > 0 AND handling = 'department') AS resolution_rated,
        toUInt64(resolution_rated > 0 AND {r.U(27)} < 0.88) AS resolution_satisfied"""


def _handling(r: Rand, unhandled: str) -> str:
    # Consult tickets are mostly answered online, non-consult mostly dispatched: 41.7 % overall.
    return f"""
        if(kind = 'consult', 0.08, 0.728) AS p_dept,
        {r.U(16)} AS hu,
        multiIf({unhandled}, '', hu < p_dept, 'department', hu < p_dept + 0.0128, 'online_specialist',
                hu < 0.9997, 'online_agent', '') AS handling,
        if(handling = '', 0, created_ms + if(handling = 'department', 600000 + {r.H(17)} % 7200000,
                                                30000 + {r.H(17)} % 600000)) AS handled_ms"""


def _outer(columns: str, overrides: dict[str, str]) -> str:
    return ", ".join(overrides.get(c.strip(), c.strip()) for c in columns.split(","))


def year_tickets_sql(year: int, n: int, part: str, table: str = "ticket_facts") -> str:
    """part: 'base' (tickets never revised), 'old' (older versions), 'new<k>' (revised, 1/5 each);
    into `table`, ticket_facts or a table of its columns."""
    r = Rand(year * 10 + 1)
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    start = f"toDate('{year}-01-01')"
    inner = f"""
        SELECT number, concat('T{year}-', toString(number)) AS ticket_id,
        4 + {r.H(28)} % 6 AS events, 1 + {r.H(28)} % 3 AS old_events,
        {start} + if(toDayOfWeek({start} + {r.H(1)} % {days}) >= 6 AND {r.U(2)} < 0.45,
                     {r.H(3)} % {days}, {r.H(1)} % {days}) AS day,
        {_day_ms('day')} + (if({r.U(4)} < 0.85, 28800 + {r.H(5)} % 36000, {r.H(5)} % 86400)) * 1000
            + {r.H(6)} % 1000 AS created_ms,
        {ticket_attrs(r)},
        {_handling(r, '0')},
        toUInt8(handling IN ('online_agent', 'online_specialist') OR (handling = 'department' AND {r.U(19)} < 0.991)) AS completed,
        if(completed, handled_ms + if(handling = 'department', work_s * 1400, 0), 0) AS completed_ms,
        if(completed, work_s, 0) AS handling_work_s,
        now() AS refreshed_at,
        {r.H(99)} % 20 = 0 AS revised
        FROM numbers({n})"""
    where = {"base": "NOT revised", "old": "revised"}.get(part, f"revised AND number % 5 = {part[3:]}")
    cols = _outer(TICKET_COLUMNS, OLD_TICKET if part == "old" else {})
    return f"INSERT INTO {DATABASE}.{table} ({TICKET_COLUMNS}) SELECT {cols} FROM ({inner}) WHERE {where}"


def _call_outcome(r: Rand, answered: str, abandoned: str, now_ms: str = "9223372036854775807") -> str:
    """Wait and talk of inbound/outbound calls (published: 92.3 % within 30 s, 13.9 s mean wait;
    203 s mean inbound talk with 1.9 % over 10 min, outbound 89 s with 3.5 % over 10 min)."""
    return f"""
        multiIf(direction = 'outbound', toInt64({r.U(15)} * 20000),
                {answered}, if({r.U(14)} < 0.99, toInt64({r.U(15)} * 19000), 30000 + toInt64(-log({r.U(15)}) * 60000)),
                toInt64(-log({r.U(16)}) * 40000)) AS wait0,
        least(wait0, {now_ms} - offered_ms) AS wait,
        if(direction = 'inbound', toInt64((-log({r.U(18)}) - log({r.U(19)})) * 100000),
           if({r.U(20)} < 0.035, 600000 + toInt64(-log({r.U(18)}) * 120000), toInt64(-log({r.U(18)}) * 70000))) AS talk,
        if({answered}, offered_ms + wait, 0) AS answered_ms,
        if({answered}, concat('A', toString({r.H(17)} % 252)), '') AS agent_id,
        if({abandoned}, offered_ms + wait, 0) AS abandoned_ms,
        multiIf({answered} AND answered_ms + talk <= {now_ms}, answered_ms + talk, {abandoned}, abandoned_ms, 0) AS ended_ms,
        multiIf({answered}, 'answered', {abandoned}, 'abandoned', 'waiting') AS status,
        if(status = 'waiting', -1, wait) AS wait_ms,
        if({answered} AND ended_ms > 0, talk, -1) AS talk_ms,
        toUInt64(1 + (answered_ms > 0) + (ended_ms > 0 OR abandoned_ms > 0)) AS events,
        concat(hex({r.H(10)}), hex({r.H(11)}), hex({r.H(12)}), hex({r.H(13)})) AS caller_hash,
        now() AS refreshed_at"""


def year_calls_sql(year: int, part: str) -> str:
    in_ans, in_ab, out_ans, out_no = VOLUMES[year][1:]
    r = Rand(year * 10 + 2)
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    start = f"toDate('{year}-01-01')"
    inner = f"""
        SELECT number, concat('C{year}-', toString(number)) AS call_id,
        if(number < {in_ans + in_ab}, 'inbound', 'outbound') AS direction,
        {start} + if(toDayOfWeek({start} + {r.H(1)} % {days}) >= 6 AND {r.U(2)} < 0.45,
                     {r.H(3)} % {days}, {r.H(1)} % {days}) AS day,
        {_day_ms('day')} + (if({r.U(4)} < 0.85, 28800 + {r.H(5)} % 36000, {r.H(5)} % 86400)) * 1000
            + {r.H(6)} % 1000 AS offered_ms,
        if(direction = 'inbound' AND {r.U(7)} < 0.0015, 'talent', '12345') AS line,
        {_call_outcome(r, f"(number < {in_ans} OR (number >= {in_ans + in_ab} AND number < {in_ans + in_ab + out_ans}))",
                       f"NOT (number < {in_ans} OR (number >= {in_ans + in_ab} AND number < {in_ans + in_ab + out_ans}))")},
        {r.H(99)} % 20 = 0 AS revised
        FROM numbers({in_ans + in_ab + out_ans + out_no})"""
    where = {"base": "NOT revised", "old": "revised"}.get(part, f"revised AND number % 5 = {part[3:]}")
    cols = _outer(CALL_COLUMNS, OLD_CALL if part == "old" else {})
    return f"INSERT INTO {DATABASE}.call_facts ({CALL_COLUMNS}) SELECT {cols} FROM ({inner}) WHERE {where}"


def live_sqls(scale: float, now_ms: int) -> list[str]:
    """Yesterday's and today's calls (some waiting), the last 7 days' and today's tickets, a month
    of raw events up to now: what /v1/live reads. Ids start with 'L' (replaced on every run)."""
    today = dt.datetime.fromtimestamp(now_ms / 1000, TZ).date()
    t0 = int(dt.datetime.combine(today, dt.time(), TZ).timestamp() * 1000)
    elapsed = now_ms - t0
    n_y = max(round(PER_DAY_CALLS * scale), 50)
    n_t = max(round(PER_DAY_CALLS * scale * elapsed / 86_400_000), 60)
    early, late = max(elapsed - 3_600_000, 0), min(3_600_000, elapsed)
    r = Rand(7)
    calls = f"""
        SELECT number, concat('L-C', toString(number)) AS call_id,
        number < {n_y} AS yest,
        if(yest, {t0 - 86_400_000} + toInt64({r.U(1)} * 86400000),
           if({r.U(2)} < 0.8, {t0} + toInt64({r.U(1)} * {early}), {now_ms} - toInt64({r.U(1)} * {late}))) AS offered_ms,
        if(yest, toDate('{today - dt.timedelta(days=1)}'), toDate('{today}')) AS day,
        if({r.U(3)} < 0.1, 'outbound', 'inbound') AS direction, '12345' AS line,
        NOT ({now_ms} - offered_ms < 90000 AND {r.U(4)} < 0.6) AS decided,
        {_call_outcome(r, f"decided AND {r.U(5)} < 0.92", f"decided AND {r.U(5)} >= 0.92", str(now_ms))}
        FROM numbers({n_y + n_t})"""
    per_day = max(round(PER_DAY_TICKETS * scale), 50)
    n_today = max(round(PER_DAY_TICKETS * scale * elapsed / 86_400_000), 30)
    rt = Rand(8)
    tickets = f"""
        SELECT number, concat('L-T', toString(number)) AS ticket_id, toUInt64(3) AS events,
        number < {7 * per_day} AS past,
        toDate('{today}') - if(past, 1 + number % 7, 0) AS day,
        if(past, {t0} - toInt64(1 + number % 7) * 86400000 + toInt64({rt.U(1)} * 86400000),
           {t0} + toInt64({rt.U(1)} * {elapsed})) AS created_ms,
        {ticket_attrs(rt)},
        {_handling(rt, f"{now_ms} - created_ms < 600000 AND {rt.U(21)} < 0.7")},
        least(handled_ms, {now_ms}) AS handled_at,
        toUInt8(handling IN ('online_agent', 'online_specialist')
                OR (handling = 'department' AND {now_ms} - created_ms > 2 * 86400000 AND {rt.U(19)} < 0.7)) AS completed,
        if(completed, least(handled_at + if(handling = 'department', work_s * 1000, 0), {now_ms}), 0) AS completed_ms,
        if(completed, work_s, 0) AS handling_work_s, now() AS refreshed_at
        FROM numbers({7 * per_day + n_today})"""
    n_ev = max(round(PER_DAY_EVENTS * 30 * scale), 1000)
    events = (f"INSERT INTO {DATABASE}.events (entity, subject, source, id, type, time, time_ms, local_date) "
              f"SELECT if(number % 7 < 3, 'call', 'ticket'), concat('S', toString({r.H(30)} % 5000000)), 'bench', "
              f"concat('E', toString(number)), 'hotline.bench', toDateTime(intDiv(t, 1000)), t, "
              f"toDate(toDateTime(intDiv(t, 1000)), 'Asia/Shanghai') "
              f"FROM (SELECT number, {now_ms} - 1000 - toInt64({r.U(31)} * 30 * 86400000) AS t FROM numbers({n_ev}))")
    return [f"INSERT INTO {DATABASE}.call_facts ({CALL_COLUMNS}) SELECT {CALL_COLUMNS} FROM ({calls})",
            f"INSERT INTO {DATABASE}.ticket_facts ({TICKET_COLUMNS}) SELECT "
            f"{_outer(TICKET_COLUMNS, {'handled_ms': 'handled_at'})} FROM ({tickets})", events]


# -- filling ----------------------------------------------------------------------------------

def fill(ch) -> dict:
    """The two years of facts and the changes validator; returns seconds and row counts.

    Older versions and never-revised rows first; once ClickHouse has merged them, the newest
    versions of the revised 5 % in five small inserts, as refreshes land: FINAL then has a
    large part with the older versions and small parts with the newer ones to merge."""
    started, steps = time.monotonic(), {}
    for part in ("old", "base", "merge", *(f"new{k}" for k in range(5))):
        t = time.monotonic()
        if part == "merge":
            settle(ch)
        else:
            for year in (2023, 2022):
                ch.execute(year_tickets_sql(year, VOLUMES[year][0], part))
                ch.execute(year_calls_sql(year, part))
        steps[part] = round(time.monotonic() - t, 2)
    ch.execute(f"INSERT INTO {DATABASE}.facts_changes (day, entity, changes) "
               f"SELECT toDate('2022-01-01') + intDiv(number, 2), if(number % 2 = 0, 'ticket', 'call'), toUInt64(1) "
               f"FROM numbers({2 * 730})")
    ch.execute(f"INSERT INTO {DATABASE}.supplied_figures (year, version, document, supplied_by, updated_at) VALUES",
               [(2023, 1, '{"platform": {"agents_total": 252, "knowledge_entries": 18000}}', "bench",
                 dt.datetime.now().replace(microsecond=0))])
    total = time.monotonic() - started
    return {"seconds": round(total, 1), "seconds_without_merge_wait": round(total - steps["merge"], 1),
            "steps_s": steps}


def settle(ch, limit_s: float = 600) -> float:
    """Wait until ClickHouse runs no merge in the bench database (at most `limit_s`)."""
    t = time.monotonic()
    while time.monotonic() - t < limit_s and ch.execute(
            "SELECT count() FROM system.merges WHERE database = %(d)s", {"d": DATABASE})[0][0]:
        time.sleep(0.5)
    return round(time.monotonic() - t, 1)


def scaled_volumes(scale: float) -> None:
    global VOLUMES
    VOLUMES = {y: tuple(round(v * scale) for v in vs) for y, vs in VOLUMES.items()}


def refresh_live_rows(ch, scale: float) -> dict:
    """Drop the previous run's live rows (ids 'L…', the raw events), insert this run's."""
    t = time.monotonic()
    if ch.execute(f"SELECT count() FROM {DATABASE}.call_facts WHERE call_id LIKE 'L-%'")[0][0]:
        ch.execute(f"ALTER TABLE {DATABASE}.call_facts DELETE WHERE call_id LIKE 'L-%'")
        ch.execute(f"ALTER TABLE {DATABASE}.ticket_facts DELETE WHERE ticket_id LIKE 'L-%'")
        while ch.execute(f"SELECT count() FROM system.mutations WHERE database = '{DATABASE}' AND NOT is_done")[0][0]:
            time.sleep(0.2)
    ch.execute(f"TRUNCATE TABLE {DATABASE}.events")
    for sql in live_sqls(scale, int(time.time() * 1000)):
        ch.execute(sql)
    return {"seconds": round(time.monotonic() - t, 1)}


def data_counts(ch) -> dict:
    out = {}
    for table, key in (("ticket_facts", "ticket_id"), ("call_facts", "call_id")):
        rows, ids = ch.execute(f"SELECT count(), uniqExact({key}) FROM {DATABASE}.{table}")[0]
        by_year = dict(ch.execute(f"SELECT toYear(day) AS y, uniqExact({key}) FROM {DATABASE}.{table} GROUP BY y"))
        parts = ch.execute("SELECT count() FROM system.parts WHERE active AND database = %(d)s AND table = %(t)s",
                           {"d": DATABASE, "t": table})[0][0]
        out[table] = {"rows": rows, "entities": ids, "older_versions": rows - ids, "active_parts": parts,
                      "entities_by_year": {str(y): n for y, n in sorted(by_year.items())}}
    out["events"] = {"rows": ch.execute(f"SELECT count() FROM {DATABASE}.events")[0][0]}
    return out


# -- measuring --------------------------------------------------------------------------------
