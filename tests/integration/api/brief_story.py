"""A hand-written fortnight for the weekly brief's test (tests/integration/api/test_weekly_brief.py).

2024-W25 and 2024-W26 (17–30 June 2024): every Monday to Friday a working day and every Saturday
and Sunday a rest day in the mainland-China calendar (the 端午 holiday was 10 June, the week
before; checked with `chinese_calendar`), so a handling time in working days is the plain count
of weekday hours ÷ 24. Nothing happens before 17 June: the first week has no baseline days.
After the fortnight, one inbound call on 8 July (2024-W28) and nothing else, so that 2024-W27 is
a week with no event inside the range the platform holds.

38 tickets, t01–t17 created in W25, t18–t38 in W26; 15 inbound calls and one outbound. What each
is for is said where it is written; the test works its expected figures out from these comments.
Departments: A 市住建局, B 市城管局, C 市市场监管局, D 市生态环境局.

Created per day: W25 3, 2, 3, 4, 3 | 1, 1 (Mon–Fri | Sat, Sun); W26 3, 8, 3, 3, 2 | 1, 1.

What the alerts service must find in it (docs/alerts.md):
* a cluster: t21–t26, six 噪音扰民 tickets in one H3 cell (CELL) on the evening of 25 June,
  each created during its own call; the calls come from five numbers (the first caller rings
  twice), so the fifth ticket (21:43) is the first with five tickets from four distinct callers in
  a place never seen before: detected then, started at the first (19:03); six tickets and five
  callers in the end; closed three days after the last ticket (28 June 22:23), which the
  watermark (30 June 17:00, the last ticket event) has passed;
* a ping-pong: t18 dispatched A, returned by A, dispatched B, returned by B, dispatched A again
  (25 June 11:00, when it is detected; started at the first dispatch, 24 June 10:00), never
  completed, so open: it would close seven days after its last step (2 July 11:00), after the
  watermark;
* no surge: no series has two tickets a day in its baseline (the surge detector watches none).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import h3

TZ = ZoneInfo("Asia/Shanghai")
A, B, C, D = "市住建局", "市城管局", "市市场监管局", "市生态环境局"
CELL = h3.latlng_to_cell(33.60, 119.03, 9)
TICKETS_SOURCE, CALLS_SOURCE = "/test/brief/tickets", "/test/brief/pbx"
# The cluster's callers: the first rings twice (t21 and t24).
CLUSTER_CALLERS = ("13800000001", "13800000002", "13800000003", "13800000001", "13800000004", "13800000005")


def at(text: str) -> dt.datetime:
    """'06-17 09:10' or '06-17 09:10:25': that local time in 2024."""
    return dt.datetime.strptime(f"2024-{text}", "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
                                ).replace(tzinfo=TZ)


def iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


class _Story:
    """The events as they are written down; `events()` numbers them in time order."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.rows: list[tuple[dt.datetime, str, str, str, dict]] = []  # (time, subject, type, source, data)

    def ticket(self, n: int, created: str, channel: str, category: str, subcategory: str, district: str, *,
               requester: str = "citizen", kind: str = "non_consult", call: str = "",
               location: dict | None = None) -> str:
        subject = f"{self.run}-t{n:02d}"
        data: dict = {"requester": requester, "channel": channel, "kind": kind, "category": category,
                      "subcategory": subcategory, "district": district}
        if call:
            data["call_id"] = call
        if location:
            data["location"] = location
        self.step(subject, "created", created, **data)
        return subject

    def step(self, subject: str, type_: str, when: str, **data: object) -> None:
        self.rows.append((at(when), subject, f"hotline.ticket.{type_}", TICKETS_SOURCE, data))

    def call(self, name: str, offered: str, caller: str, *, wait_s: int | None, talk_s: int = 0,
             abandon_after_s: int = 0, direction: str = "inbound") -> str:
        """A call offered at `offered`: answered after `wait_s` and ended `talk_s` later, or
        (wait_s None) abandoned after `abandon_after_s`."""
        subject = f"{self.run}-{name}"
        start = at(offered)
        data: dict = {"direction": direction}
        if caller:
            data["caller"] = caller
        self.rows.append((start, subject, "hotline.call.offered", CALLS_SOURCE, data))
        if wait_s is None:
            self.rows.append((start + dt.timedelta(seconds=abandon_after_s), subject, "hotline.call.abandoned",
                              CALLS_SOURCE, {}))
        else:
            answered = start + dt.timedelta(seconds=wait_s)
            self.rows.append((answered, subject, "hotline.call.answered", CALLS_SOURCE, {"agent_id": "agent-7"}))
            self.rows.append((answered + dt.timedelta(seconds=talk_s), subject, "hotline.call.ended",
                              CALLS_SOURCE, {}))
        return subject

    def events(self) -> list[dict]:
        rows = sorted(self.rows, key=lambda r: (r[0], r[1], r[2]))
        return [{"specversion": "1.0", "id": f"{self.run}-{i}", "source": source, "type": type_,
                 "time": iso(when), "subject": subject, "data": data}
                for i, (when, subject, type_, source, data) in enumerate(rows)]


def story(run: str) -> list[dict]:
    """Every event of the fortnight (and the July call), in time order (ties by subject, type)."""
    s = _Story(run)
    step = s.step

    def dispatch(t: str, when: str, department: str, deadline: str | None = None) -> None:
        step(t, "dispatched", when, department=department, **({"deadline": iso(at(deadline))} if deadline else {}))

    def complete(t: str, when: str, department: str) -> None:
        step(t, "completed", when, department=department)

    def evaluate(t: str, requested: str, evaluated: str | None, service: bool = True, resolution: bool = True) -> None:
        """An evaluation request and, unless `evaluated` is None, the citizen's answers to both questions."""
        step(t, "evaluation_requested", requested)
        if evaluated:
            step(t, "evaluated", evaluated, service_satisfied=service, resolution_satisfied=resolution)

    # ---- W25, Monday 17 June ----------------------------------------------------------------
    # t01 (A): completed in time, then unsatisfied TWICE: 20 June (resolution "no") and again on
    # 25 June after a second request (both answers "no"): level 1 in W25's brief, 2 in W26's.
    c01 = s.call("c01", "06-17 09:05:00", "13900000001", wait_s=10, talk_s=410)
    t01 = s.ticket(1, "06-17 09:10", "phone", "住房保障", "物业管理", "清江浦区", call=c01)
    dispatch(t01, "06-17 10:00", A, "06-21 18:00")
    complete(t01, "06-19 16:00", A)  # 2 d 6 h 50 min
    evaluate(t01, "06-20 10:00", "06-20 11:00", service=True, resolution=False)
    evaluate(t01, "06-25 10:00", "06-25 11:00", service=False, resolution=False)
    # t02: answered online by an agent and evaluated satisfied (no department: not in the table)
    t02 = s.ticket(2, "06-17 10:30", "web", "民生保障", "社保医保", "清河区", kind="consult")
    step(t02, "answered", "06-17 10:40", by="agent")
    evaluate(t02, "06-17 11:00", "06-17 12:00")
    # t03 (C): completed LATE (deadline Thursday 18:00, completed Friday 10:00)
    t03 = s.ticket(3, "06-17 14:00", "phone", "市场监管", "消费维权", "淮阴区", requester="enterprise")
    dispatch(t03, "06-17 15:00", C, "06-20 18:00")
    complete(t03, "06-21 10:00", C)  # 3 d 20 h
    evaluate(t03, "06-21 11:00", "06-21 15:00")

    # ---- W25, Tuesday 18 June ---------------------------------------------------------------
    c02 = s.call("c02", "06-18 09:25:00", "13900000002", wait_s=40, talk_s=440)
    t04 = s.ticket(4, "06-18 09:30", "phone", "城乡建设", "道路维修", "清江浦区", call=c02)
    dispatch(t04, "06-18 10:00", B, "06-25 18:00")
    complete(t04, "06-20 17:00", B)  # 2 d 7 h 30 min
    evaluate(t04, "06-21 09:00", "06-21 10:00")
    # t05 (A): OVERDUE, never completed: deadline 21 June 18:00; 2.25 days past it at W25's end,
    # 9.25 at W26's, 16.25 at W27's
    t05 = s.ticket(5, "06-18 16:00", "app", "住房保障", "房屋质量", "洪泽区")
    dispatch(t05, "06-18 17:00", A, "06-21 18:00")

    # ---- W25, Wednesday 19 June -------------------------------------------------------------
    s.call("c03", "06-19 14:00:00", "13900000003", wait_s=None, abandon_after_s=50)
    t06 = s.ticket(6, "06-19 09:00", "phone", "环境保护", "大气污染", "淮阴区")
    dispatch(t06, "06-19 10:00", D, "06-24 18:00")
    complete(t06, "06-21 15:00", D)  # 2 d 6 h
    evaluate(t06, "06-21 16:00", "06-22 09:00")
    t07 = s.ticket(7, "06-19 11:00", "wechat", "民生保障", "社保医保", "清河区", kind="consult")
    step(t07, "answered", "06-19 11:30", by="specialist")
    # t08 (B): SUPERVISED on 20 June, completed the next day; evaluated twice: unsatisfied
    # (resolution "no", 21 June) then satisfied (26 June), so `evaluations=latest` counts it
    # satisfied and `all` counts both
    t08 = s.ticket(8, "06-19 15:00", "phone", "市容环卫", "垃圾清运", "清江浦区")
    dispatch(t08, "06-19 16:00", B, "06-26 18:00")
    step(t08, "supervised", "06-20 10:00", level=1)
    complete(t08, "06-21 11:00", B)  # 1 d 20 h
    evaluate(t08, "06-21 14:00", "06-21 16:00", service=True, resolution=False)
    evaluate(t08, "06-26 10:00", "06-26 11:00")

    # ---- W25, Thursday 20 June --------------------------------------------------------------
    # t09 (B, from 110): evaluated on 24 June with the SERVICE unsatisfied and the resolution
    # satisfied: unsatisfied only with `unsatisfied_on=any`
    t09 = s.ticket(9, "06-20 08:30", "110", "城乡建设", "道路维修", "淮安区")
    dispatch(t09, "06-20 09:00", B, "06-27 18:00")
    complete(t09, "06-24 10:00", B)  # Thu 08:30 → Mon 10:00: 2 d 1 h 30 min
    evaluate(t09, "06-24 11:00", "06-24 15:00", service=False, resolution=True)
    c04 = s.call("c04", "06-20 09:58:00", "13900000004", wait_s=25, talk_s=480)
    t10 = s.ticket(10, "06-20 10:00", "phone", "住房保障", "物业管理", "清江浦区", kind="consult", call=c04)
    step(t10, "answered", "06-20 10:05", by="agent")
    t11 = s.ticket(11, "06-20 14:00", "web", "市场监管", "消费维权", "淮阴区", requester="enterprise")
    dispatch(t11, "06-20 15:00", C, "06-25 18:00")
    complete(t11, "06-21 09:30", C)  # 19 h 30 min
    # t12 (A): no deadline (on time by definition), completed the next Monday
    t12 = s.ticket(12, "06-20 16:30", "email", "住房保障", "物业管理", "洪泽区")
    dispatch(t12, "06-20 17:00", A)
    complete(t12, "06-24 17:00", A)  # Thu 16:30 → Mon 17:00: 2 d 30 min
    evaluate(t12, "06-25 09:00", "06-25 10:00")

    # ---- W25, Friday 21 June ----------------------------------------------------------------
    # t13 (D): asked to evaluate, never did
    t13 = s.ticket(13, "06-21 09:00", "phone", "城乡建设", "道路维修", "清河区")
    dispatch(t13, "06-21 10:00", D, "06-28 18:00")
    complete(t13, "06-27 10:00", D)  # Fri 09:00 → Thu 10:00: 4 d 1 h
    evaluate(t13, "06-27 11:00", None)
    t14 = s.ticket(14, "06-21 11:00", "maishangyi", "交通运输", "公交线路", "淮阴区")
    step(t14, "answered", "06-21 11:20", by="specialist")
    c05 = s.call("c05", "06-21 14:58:00", "13900000005", wait_s=5, talk_s=475)
    t15 = s.ticket(15, "06-21 15:00", "phone", "民生保障", "社保医保", "清江浦区", kind="consult", call=c05)
    step(t15, "answered", "06-21 15:05", by="agent")

    # ---- W25, the weekend -------------------------------------------------------------------
    t16 = s.ticket(16, "06-22 10:00", "app", "住房保障", "物业管理", "清江浦区")
    dispatch(t16, "06-22 11:00", A, "06-26 18:00")
    complete(t16, "06-25 16:00", A)  # Sat 10:00 counts from Mon 00:00: 1 d 16 h
    t17 = s.ticket(17, "06-23 20:00", "phone", "市容环卫", "垃圾清运", "清河区")
    dispatch(t17, "06-24 09:00", B, "06-28 18:00")
    complete(t17, "06-26 12:00", B)  # Sun 20:00 counts from Mon 00:00: 2 d 12 h
    evaluate(t17, "06-26 14:00", "06-26 15:00")

    # ---- W26, Monday 24 June ----------------------------------------------------------------
    # t18: the PING-PONG, A → B → A, each return followed by a dispatch within two hours (never
    # "unowned"); the last deadline (5 July) is after W26's end: open, not overdue in W26
    c06 = s.call("c06", "06-24 08:58:00", "13900000006", wait_s=12, talk_s=408)
    t18 = s.ticket(18, "06-24 09:00", "phone", "住房保障", "房屋质量", "清江浦区", call=c06)
    dispatch(t18, "06-24 10:00", A, "06-28 18:00")
    step(t18, "returned", "06-24 14:00", department=A, reason="不属于本单位职责")
    dispatch(t18, "06-24 16:00", B, "06-28 18:00")
    step(t18, "returned", "06-25 10:00", department=B, reason="不属于本单位职责")
    dispatch(t18, "06-25 11:00", A, "07-05 18:00")
    t19 = s.ticket(19, "06-24 11:00", "web", "环境保护", "大气污染", "淮阴区")
    dispatch(t19, "06-24 14:00", D, "06-28 18:00")
    complete(t19, "06-27 16:00", D)  # 3 d 5 h
    evaluate(t19, "06-28 09:00", "06-28 10:00")
    t20 = s.ticket(20, "06-24 15:00", "phone", "民生保障", "社保医保", "清河区", kind="consult")
    step(t20, "answered", "06-24 15:10", by="agent")

    # ---- W26, Tuesday 25 June: the CLUSTER and two more ----------------------------------------
    # six calls 40 minutes apart from 19:00, waits 20, 35, 15, 30, 8 and 50 s; each ticket created
    # three minutes into its call; t21 dispatched to B, t22–t26 answered online by an agent
    place = {"h3": CELL}
    waits = (20, 35, 15, 30, 8, 50)
    cluster = []
    for k in range(6):
        offered = at("06-25 19:00") + dt.timedelta(minutes=40 * k)
        call = s.call(f"k{k + 1}", offered.strftime("%m-%d %H:%M:%S"), CLUSTER_CALLERS[k], wait_s=waits[k],
                      talk_s=300 - waits[k])
        cluster.append(s.ticket(21 + k, (offered + dt.timedelta(minutes=3)).strftime("%m-%d %H:%M"), "phone",
                                "市容环卫", "噪音扰民", "清江浦区", call=call, location=place))
    dispatch(cluster[0], "06-26 09:00", B, "06-28 18:00")
    complete(cluster[0], "06-28 17:00", B)  # Tue 19:03 → Fri 17:00: 3 d − 2 h 3 min
    evaluate(cluster[0], "06-29 09:00", "06-29 10:00")
    for k in range(1, 6):
        step(cluster[k], "answered", (at("06-25 19:04") + dt.timedelta(minutes=40 * k)).strftime("%m-%d %H:%M"),
             by="agent")
    # t27 (C): completed late, then unsatisfied ONCE (resolution "no")
    t27 = s.ticket(27, "06-25 09:30", "phone", "市场监管", "消费维权", "淮阴区", requester="enterprise")
    dispatch(t27, "06-25 10:00", C, "06-27 18:00")
    complete(t27, "06-28 10:00", C)  # 3 d 30 min
    evaluate(t27, "06-28 11:00", "06-28 14:00", service=True, resolution=False)
    # t28 (D): SUPERVISED on 27 June and OVERDUE at W26's end (deadline 28 June 18:00: 2.25 days)
    t28 = s.ticket(28, "06-25 14:00", "web", "环境保护", "大气污染", "清河区")
    dispatch(t28, "06-25 15:00", D, "06-28 18:00")
    step(t28, "supervised", "06-27 10:00", level=1)

    # ---- W26, Wednesday 26 June -------------------------------------------------------------
    t29 = s.ticket(29, "06-26 09:00", "phone", "环境保护", "大气污染", "淮阴区")
    step(t29, "answered", "06-26 09:20", by="specialist")
    t30 = s.ticket(30, "06-26 10:00", "app", "住房保障", "物业管理", "洪泽区")
    dispatch(t30, "06-26 10:30", A, "07-03 18:00")
    complete(t30, "06-28 15:00", A)  # 2 d 5 h
    evaluate(t30, "06-28 16:00", "06-29 09:00")
    t31 = s.ticket(31, "06-26 14:00", "110", "城乡建设", "道路维修", "淮安区")
    dispatch(t31, "06-26 14:30", B, "07-03 18:00")
    complete(t31, "06-27 11:00", B)  # 21 h
    s.call("c07", "06-26 16:00:00", "13900000007", wait_s=None, abandon_after_s=90)

    # ---- W26, Thursday 27 June --------------------------------------------------------------
    t32 = s.ticket(32, "06-27 09:00", "phone", "环境保护", "大气污染", "清江浦区")
    dispatch(t32, "06-27 09:30", D, "07-04 18:00")
    complete(t32, "06-28 11:00", D)  # 1 d 2 h
    evaluate(t32, "06-28 14:00", "06-28 16:00")
    t33 = s.ticket(33, "06-27 11:00", "web", "民生保障", "社保医保", "清河区", kind="consult")
    step(t33, "answered", "06-27 11:05", by="agent")
    # t34 (C): open, deadline 4 July: not overdue in W26, overdue (3.25 days) at W27's end
    t34 = s.ticket(34, "06-27 15:00", "email", "市场监管", "消费维权", "淮阴区", requester="enterprise")
    dispatch(t34, "06-27 16:00", C, "07-04 18:00")

    # ---- W26, Friday 28 June ----------------------------------------------------------------
    t35 = s.ticket(35, "06-28 10:00", "wechat", "环境保护", "大气污染", "淮阴区")
    step(t35, "answered", "06-28 10:30", by="specialist")
    t36 = s.ticket(36, "06-28 14:00", "phone", "住房保障", "物业管理", "清江浦区")
    dispatch(t36, "06-28 15:00", A, "07-05 18:00")
    complete(t36, "06-28 17:30", A)  # 3 h 30 min
    evaluate(t36, "06-29 09:00", None)
    # an outbound call (a callback): not an inbound call offered
    s.call("o01", "06-28 10:00:00", "", wait_s=20, talk_s=160, direction="outbound")
    s.call("c08", "06-28 20:00:00", "13900000008", wait_s=None, abandon_after_s=5)

    # ---- W26, the weekend -------------------------------------------------------------------
    t37 = s.ticket(37, "06-29 10:00", "app", "民生保障", "社保医保", "清河区", kind="consult")
    step(t37, "answered", "06-29 10:05", by="agent")
    # t38 (B): open, deadline 5 July; its dispatch is the last ticket event (the alerts' watermark)
    t38 = s.ticket(38, "06-30 16:00", "phone", "城乡建设", "道路维修", "清江浦区")
    dispatch(t38, "06-30 17:00", B, "07-05 18:00")

    # ---- 2024-W28: one call, so that W27 lies inside the data and holds nothing ------------
    s.call("c09", "07-08 09:00:00", "13900000009", wait_s=15, talk_s=165)
    return s.events()


def last_ticket_event_ms(events: list[dict]) -> int:
    """The alerts service's watermark once everything is in: the newest ticket event's time."""
    return max(int(dt.datetime.fromisoformat(e["time"]).timestamp() * 1000)
               for e in events if e["type"].startswith("hotline.ticket."))
