"""A small hand-checked event set for the report tests: 2023 (the report year) and 2022 (its
year-over-year base). tests/integration/api/test_api_report.py writes out the figures expected from
it, worked by hand from the comments below, not computed by the code under test.

Calls 2023 (inbound, wait / talk in s): C1 10/300 (Mar), C2 40/720 (Mar), C3 abandoned at 20
(Mar), C4 abandoned at 60 (Mar), C5 5/120 (Jul), C6 offered 31 Dec 23:59:50, answered after 30,
talk 60. Outbound: O1 talk 720, O2 talk 60, O3 not connected (Mar).
Calls 2022: P1 20/600, P2 60/120 (inbound), P3 outbound talk 300.

Tickets 2023 (requester, channel, kind, category -> handling; working time):
  T1  citizen phone consult 民生保障 -> online_agent; Mon 6 Mar 09:01 -> 09:05 = 240 s; tag epidemic
  T2  citizen phone non_consult 住房保障 -> 市住建局; Thu 28 Sep 10:00 -> Sun 8 Oct 10:00
      (29 Sep - 6 Oct 中秋/国庆 off; Sat 7 and Sun 8 Oct adjusted working days) = 14+24+10 h = 2.0 days;
      on time; evaluated: service yes, resolution no
  T3  enterprise web non_consult 经济综合 -> 市市场监管局; Sun 31 Dec 20:00 -> Tue 2 Jan 2024 12:00
      (31 Dec weekend, 1 Jan 元旦) = 12 h = 0.5 day; on time; evaluated yes/yes LATE (1 Mar 2024,
      written in a later batch: LATE_EVENTS)
  T4  citizen 110 non_consult 平安建设 -> 市公安局; Thu 4 May 14:00 -> Sat 6 May 10:00 (adjusted
      working day) = 10+24+10 h = 44 h; deadline 5 May 14:00: late; evaluated yes/yes
  T5  citizen 110 consult 民生保障 -> online_specialist; 4 May 15:00 -> 15:30 = 1800 s; evaluated:
      service no, resolution not rated
  T6  citizen maishangyi non_consult 城乡建设 -> 市住建局, never completed (open); tag epidemic
  T7  citizen phone talent-line consult 人才服务 -> online_agent; Sat 1 Jul (weekend) = 0 s
  T8  citizen phone non_consult 交通出行, transferred to 110, no handling
  T9  enterprise phone consult 经济综合 -> 市发改委, then 市市场监管局 (final); Mon 20 Nov 09:00 ->
      Wed 22 Nov 09:00 = 2 days; supervised; two evaluation requests, no answer
  T10 citizen app non_consult 民生保障 -> online_agent; Fri 10 Feb 10:00 -> 10:20 = 1200 s
Tickets 2022:
  Q1  citizen phone consult 民生保障 -> online_agent; Tue 10 May 09:01 -> 09:10 = 540 s
  Q2  citizen phone non_consult 住房保障 -> 市住建局; Wed 1 Jun 10:00 -> Thu 2 Jun 10:00 = 1 day;
      evaluated yes/yes
  Q3  enterprise web consult 经济综合 -> online_specialist; Fri 1 Jul 09:00 -> 09:20 = 1200 s
  Q4  citizen 110 non_consult 平安建设 -> 市公安局; Mon 1 Aug 09:00 -> Tue 2 Aug 09:00 = 1 day; on time
"""

from __future__ import annotations

import itertools

_ids = itertools.count(1)


def _ev(type_: str, subject: str, time: str, data: dict, source: str) -> dict:
    return {"specversion": "1.0", "id": f"rep-{next(_ids)}", "source": source, "type": type_,
            "time": time, "subject": subject, "data": data}


def _call(cid: str, direction: str, offered: str, *, answered: str | None = None,
          abandoned: str | None = None, ended: str | None = None, line: str = "12345") -> list[dict]:
    s = "/pbx/main"
    out = [_ev("hotline.call.offered", cid, offered, {"direction": direction, "line": line}, s)]
    if answered:
        out.append(_ev("hotline.call.answered", cid, answered, {"agent_id": "a-1"}, s))
    if abandoned:
        out.append(_ev("hotline.call.abandoned", cid, abandoned, {}, s))
    if ended:
        out.append(_ev("hotline.call.ended", cid, ended, {}, s))
    return out


def _t(tid: str, time: str, type_: str, data: dict | None = None) -> dict:
    return _ev(f"hotline.ticket.{type_}", tid, time, data or {}, "/crm/main")


def _created(tid: str, time: str, requester: str, channel: str, kind: str, category: str, **extra) -> dict:
    return _t(tid, time, "created", {"requester": requester, "channel": channel, "kind": kind,
                                     "category": category, **extra})


Z = "+08:00"
CALLS = [
    *_call("rc-C1", "inbound", f"2023-03-06T09:00:00{Z}", answered=f"2023-03-06T09:00:10{Z}", ended=f"2023-03-06T09:05:10{Z}"),
    *_call("rc-C2", "inbound", f"2023-03-06T10:00:00{Z}", answered=f"2023-03-06T10:00:40{Z}", ended=f"2023-03-06T10:12:40{Z}"),
    *_call("rc-C3", "inbound", f"2023-03-07T11:00:00{Z}", abandoned=f"2023-03-07T11:00:20{Z}"),
    *_call("rc-C4", "inbound", f"2023-03-07T11:30:00{Z}", abandoned=f"2023-03-07T11:31:00{Z}"),
    *_call("rc-C5", "inbound", f"2023-07-01T08:00:00{Z}", answered=f"2023-07-01T08:00:05{Z}", ended=f"2023-07-01T08:02:05{Z}", line="talent"),
    *_call("rc-C6", "inbound", f"2023-12-31T23:59:50{Z}", answered=f"2024-01-01T00:00:20{Z}", ended=f"2024-01-01T00:01:20{Z}"),
    *_call("rc-O1", "outbound", f"2023-03-08T15:00:00{Z}", answered=f"2023-03-08T15:00:20{Z}", ended=f"2023-03-08T15:12:20{Z}"),
    *_call("rc-O2", "outbound", f"2023-03-08T16:00:00{Z}", answered=f"2023-03-08T16:00:05{Z}", ended=f"2023-03-08T16:01:05{Z}"),
    *_call("rc-O3", "outbound", f"2023-03-08T17:00:00{Z}", ended=f"2023-03-08T17:00:30{Z}"),
    *_call("rc-P1", "inbound", f"2022-05-10T09:00:00{Z}", answered=f"2022-05-10T09:00:20{Z}", ended=f"2022-05-10T09:10:20{Z}"),
    *_call("rc-P2", "inbound", f"2022-05-10T09:30:00{Z}", answered=f"2022-05-10T09:31:00{Z}", ended=f"2022-05-10T09:33:00{Z}"),
    *_call("rc-P3", "outbound", f"2022-05-11T10:00:00{Z}", answered=f"2022-05-11T10:00:10{Z}", ended=f"2022-05-11T10:05:10{Z}"),
]

_YES_YES = {"service_satisfied": True, "resolution_satisfied": True}
TICKETS = [
    _created("rt-T1", f"2023-03-06T09:01:00{Z}", "citizen", "phone", "consult", "民生保障", call_id="rc-C1", tags=["epidemic"]),
    _t("rt-T1", f"2023-03-06T09:05:00{Z}", "answered", {"by": "agent"}),

    _created("rt-T2", f"2023-09-28T10:00:00{Z}", "citizen", "phone", "non_consult", "住房保障"),
    _t("rt-T2", f"2023-09-28T11:00:00{Z}", "dispatched", {"department": "市住建局", "deadline": f"2023-10-12T18:00:00{Z}"}),
    _t("rt-T2", f"2023-10-08T10:00:00{Z}", "completed", {"department": "市住建局"}),
    _t("rt-T2", f"2023-10-09T10:00:00{Z}", "evaluation_requested"),
    _t("rt-T2", f"2023-10-10T10:00:00{Z}", "evaluated", {"service_satisfied": True, "resolution_satisfied": False}),

    _created("rt-T3", f"2023-12-31T20:00:00{Z}", "enterprise", "web", "non_consult", "经济综合"),
    _t("rt-T3", f"2023-12-31T20:30:00{Z}", "dispatched", {"department": "市市场监管局", "deadline": f"2024-01-05T18:00:00{Z}"}),
    _t("rt-T3", f"2024-01-02T12:00:00{Z}", "completed"),
    _t("rt-T3", f"2024-01-03T10:00:00{Z}", "evaluation_requested"),

    _created("rt-T4", f"2023-05-04T14:00:00{Z}", "citizen", "110", "non_consult", "平安建设"),
    _t("rt-T4", f"2023-05-04T14:10:00{Z}", "dispatched", {"department": "市公安局", "deadline": f"2023-05-05T14:00:00{Z}"}),
    _t("rt-T4", f"2023-05-06T10:00:00{Z}", "completed"),
    _t("rt-T4", f"2023-05-07T10:00:00{Z}", "evaluation_requested"),
    _t("rt-T4", f"2023-05-08T10:00:00{Z}", "evaluated", _YES_YES),

    _created("rt-T5", f"2023-05-04T15:00:00{Z}", "citizen", "110", "consult", "民生保障"),
    _t("rt-T5", f"2023-05-04T15:30:00{Z}", "answered", {"by": "specialist"}),
    _t("rt-T5", f"2023-05-05T10:00:00{Z}", "evaluation_requested"),
    _t("rt-T5", f"2023-05-05T11:00:00{Z}", "evaluated", {"service_satisfied": False}),

    _created("rt-T6", f"2023-06-01T09:00:00{Z}", "citizen", "maishangyi", "non_consult", "城乡建设", tags=["epidemic"]),
    _t("rt-T6", f"2023-06-01T09:30:00{Z}", "dispatched", {"department": "市住建局", "deadline": f"2023-06-08T18:00:00{Z}"}),

    _created("rt-T7", f"2023-07-01T08:01:00{Z}", "citizen", "phone", "consult", "人才服务", line="talent", call_id="rc-C5"),
    _t("rt-T7", f"2023-07-01T08:02:00{Z}", "answered", {"by": "agent"}),

    _created("rt-T8", f"2023-08-15T10:00:00{Z}", "citizen", "phone", "non_consult", "交通出行"),
    _t("rt-T8", f"2023-08-15T10:05:00{Z}", "transferred", {"to": "110"}),

    _created("rt-T9", f"2023-11-20T09:00:00{Z}", "enterprise", "phone", "consult", "经济综合"),
    _t("rt-T9", f"2023-11-20T09:10:00{Z}", "dispatched", {"department": "市发改委"}),
    _t("rt-T9", f"2023-11-21T09:00:00{Z}", "dispatched", {"department": "市市场监管局", "deadline": f"2023-11-28T18:00:00{Z}"}),
    _t("rt-T9", f"2023-11-21T15:00:00{Z}", "supervised", {"level": "city"}),
    _t("rt-T9", f"2023-11-22T09:00:00{Z}", "completed"),
    _t("rt-T9", f"2023-11-23T09:00:00{Z}", "evaluation_requested"),
    _t("rt-T9", f"2023-11-25T09:00:00{Z}", "evaluation_requested"),

    _created("rt-T10", f"2023-02-10T10:00:00{Z}", "citizen", "app", "non_consult", "民生保障"),
    _t("rt-T10", f"2023-02-10T10:20:00{Z}", "answered", {"by": "agent"}),

    _created("rt-Q1", f"2022-05-10T09:01:00{Z}", "citizen", "phone", "consult", "民生保障"),
    _t("rt-Q1", f"2022-05-10T09:10:00{Z}", "answered", {"by": "agent"}),
    _created("rt-Q2", f"2022-06-01T10:00:00{Z}", "citizen", "phone", "non_consult", "住房保障"),
    _t("rt-Q2", f"2022-06-01T10:30:00{Z}", "dispatched", {"department": "市住建局"}),
    _t("rt-Q2", f"2022-06-02T10:00:00{Z}", "completed"),
    _t("rt-Q2", f"2022-06-03T10:00:00{Z}", "evaluation_requested"),
    _t("rt-Q2", f"2022-06-04T10:00:00{Z}", "evaluated", _YES_YES),
    _created("rt-Q3", f"2022-07-01T09:00:00{Z}", "enterprise", "web", "consult", "经济综合"),
    _t("rt-Q3", f"2022-07-01T09:20:00{Z}", "answered", {"by": "specialist"}),
    _created("rt-Q4", f"2022-08-01T09:00:00{Z}", "citizen", "110", "non_consult", "平安建设"),
    _t("rt-Q4", f"2022-08-01T09:10:00{Z}", "dispatched", {"department": "市公安局", "deadline": f"2022-08-03T18:00:00{Z}"}),
    _t("rt-Q4", f"2022-08-02T09:00:00{Z}", "completed"),
]

# The late evaluation of T3: written after the report was first computed (and cached).
LATE_EVENTS = [_t("rt-T3", f"2024-03-01T10:00:00{Z}", "evaluated", _YES_YES)]
