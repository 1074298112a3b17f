"""`hotline alerts`: the early-warning episodes the query API serves (docs/alerts.md).

    hotline alerts --from 2023-12-01 --to 2023-12-31 [--kind surge] [--status open]
    hotline alerts ... --wait 120 --expect surge:category=民生保障,district=清江浦区

`--wait S --expect KIND:DIM=VALUE,...` polls until an episode of that kind whose series holds
those values is listed (the demo's check that an injected surge is raised), exit status 1 when
none came within S seconds.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def fetch(api_url: str, token: str, params: dict[str, str]) -> list[dict]:
    url = f"{api_url}/v1/alerts?{urllib.parse.urlencode(params)}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["alerts"]


def parse_expect(text: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = text.partition(":")
    dims = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
    return kind, dims


def matches(alert: dict, kind: str, dims: dict[str, str]) -> bool:
    return alert["kind"] == kind and all(alert["series"].get(k) == v for k, v in dims.items())


def line(a: dict) -> str:
    series = ", ".join(f"{k}={v}" for k, v in sorted(a["series"].items()))
    extra = f"  callers {a['callers']}" if a.get("callers") else ""
    return (f"{a['kind']:<8} {a['status']:<6} detected {a['detected_at']}  started {a['started']}  "
            f"{a['observed']:.0f} observed / {a['expected']:.1f} expected  score {a['score']:.1f}  {series}{extra}")


def _cmd(args) -> int:  # noqa: ANN001 - argparse namespace
    from tooling.simulator.settings import SimulatorSettings

    s = SimulatorSettings()
    params = {"from": args.date_from, "to": args.date_to}
    if args.kind:
        params["kind"] = args.kind
    if args.status:
        params["status"] = args.status
    expect = parse_expect(args.expect) if args.expect else None
    deadline = time.monotonic() + (args.wait or 0)
    while True:
        try:
            alerts = fetch(s.api_url, s.api_token.get_secret_value(), params)
        except urllib.error.HTTPError as e:
            print(f"hotline alerts: HTTP {e.code}: {e.read()[:300].decode('utf-8', 'replace')}", file=sys.stderr)
            return 2
        except OSError as e:
            print(f"hotline alerts: {s.api_url}: {e} (is the API running? hotline status)", file=sys.stderr)
            return 2
        found = [a for a in alerts if expect is None or matches(a, *expect)]
        if found or time.monotonic() >= deadline:
            break
        time.sleep(2)
    shown = found if expect else alerts
    for a in shown:
        print(line(a))
    if expect and not found:
        print(f"no {args.expect} alert within {args.wait:g} s", file=sys.stderr)
        return 1
    if not shown:
        print("no alerts in that range")
    return 0


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers type
    p = sub.add_parser("alerts", help="early-warning episodes (surges, clusters, ping-pong) from the query API")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--kind", choices=("surge", "cluster", "pingpong"))
    p.add_argument("--status", choices=("open", "closed"))
    p.add_argument("--wait", type=float, default=0.0, metavar="S", help="with --expect: poll this long")
    p.add_argument("--expect", metavar="KIND:DIM=VALUE,...", help="list only matching episodes; exit 1 if none")
    p.set_defaults(func=_cmd)
