"""How long a ping-pong takes from its offending re-dispatch reaching the platform to the alert.

    .venv/bin/python -m bench.alerts_latency [--tickets 10]

Against a running stack (`hotline up`, or the demo's): for each ticket, its creation and the
dispatch sequence A, returned by A, B, returned by B are posted to ingest, then the re-dispatch
to A; the clock starts when ingest has accepted that re-dispatch (the broker acknowledged it)
and stops when `GET /v1/alerts` lists the ping-pong episode. Event times are now, so the ticket
is live data. Prints each latency and the median; the figure goes in docs/alerts.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request
import uuid
from zoneinfo import ZoneInfo

from hotline.settings import CitySettings
from tooling.simulator.settings import SimulatorSettings


def _post(s: SimulatorSettings, events: list[dict]) -> None:
    req = urllib.request.Request(
        f"{s.ingest_url}/v1/events", data=json.dumps(events).encode(), method="POST",
        headers={"Content-Type": "application/cloudevents-batch+json",
                 "Authorization": f"Bearer {s.ingest_token.get_secret_value()}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = json.loads(resp.read())
    if any(r.get("status") != "accepted" for r in body.get("results", [])) and resp.status != 200:
        raise RuntimeError(f"ingest refused: {body}")


def _alerts(s: SimulatorSettings, day: dt.date) -> list[dict]:
    """Ping-pong episodes overlapping the city-local day before `day` and `day`."""
    q = urllib.parse.urlencode({"from": (day - dt.timedelta(days=1)).isoformat(), "to": day.isoformat(), "kind": "pingpong"})
    req = urllib.request.Request(f"{s.api_url}/v1/alerts?{q}",
                                 headers={"Authorization": f"Bearer {s.api_token.get_secret_value()}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["alerts"]


def one(s: SimulatorSettings, n: int, timeout_s: float = 120) -> float:
    tid = f"latency-{uuid.uuid4().hex[:12]}"
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    at = lambda k: (now - dt.timedelta(minutes=10 - k)).isoformat().replace("+00:00", "Z")  # noqa: E731
    ev = lambda k, type_, data: {"specversion": "1.0", "id": f"{tid}-{k}", "source": "/ticketing/main",  # noqa: E731
                                 "type": f"hotline.ticket.{type_}", "time": at(k), "subject": tid, "data": data}
    a, b = "市住建局", "市城管局"
    _post(s, [ev(0, "created", {"requester": "citizen", "channel": "phone", "kind": "non_consult", "category": "城乡建设"}),
              ev(1, "dispatched", {"department": a}), ev(2, "returned", {"department": a}),
              ev(3, "dispatched", {"department": b}), ev(4, "returned", {"department": b})])
    _post(s, [ev(5, "dispatched", {"department": a})])
    t0 = time.monotonic()
    day = now.astimezone(ZoneInfo(CitySettings().timezone)).date()
    while time.monotonic() - t0 < timeout_s:
        if any(x["series"].get("ticket_id") == tid for x in _alerts(s, day)):
            return time.monotonic() - t0
        time.sleep(0.2)
    raise TimeoutError(f"no ping-pong alert for {tid} within {timeout_s:g} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="alerts-latency")
    ap.add_argument("--tickets", type=int, default=10)
    args = ap.parse_args(argv)
    s = SimulatorSettings()
    got = []
    for n in range(args.tickets):
        got.append(one(s, n))
        print(f"ticket {n + 1}: alert listed {got[-1]:.2f} s after the re-dispatch was accepted", flush=True)
    print(f"median {statistics.median(got):.2f} s, max {max(got):.2f} s over {len(got)} tickets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
