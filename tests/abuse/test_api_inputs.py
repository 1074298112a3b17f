"""Abusive requests to the query API as `hotline up` runs it: SQL-looking strings in every
parameter, invalid UTF-8 in paths, queries and bodies, oversized and deeply nested supplied
figures, huge headers.

Per request: an answer (every request has a time limit), never a 5xx, and the API answers
/healthz within 2 s afterwards; ClickHouse's tables are all still there. Over a round of every
kind of abuse, the process' memory grows by less than MEMORY_BOUND_MB.
"""

from __future__ import annotations

import io
import itertools
import time

import orjson
import pytest
from clickhouse_driver import Client
from openpyxl import load_workbook

from hotline.storage.client import connect
from tests.support.abuse import AUTH, BATCH, SQL, client, event, nested_text, post_head, raw_request
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

MEMORY_BOUND_MB = 100
YEAR = 2099  # supplied figures are written for this year only
GOOD = {"year": "2024", "table": "calls", "from": "2024-01-01", "to": "2024-01-31", "interval": "week",
        "format": "json", "sl_threshold_s": "30", "sl_denominator": "offered", "short_abandon_s": "0",
        "efficiency_scope": "all", "top_n": "5"}
CHOICES = ("sl_threshold_s", "sl_denominator", "short_abandon_s", "efficiency_scope", "top_n")
# route, its path parameters, its query parameters
ROUTES = [
    ("/v1/reports/annual/{year}", ("year",), ("format", *CHOICES)),
    ("/v1/reports/annual/{year}/tables/{table}", ("year", "table"), ("format", *CHOICES)),
    ("/v1/reports/period", (), ("from", "to", "format", *CHOICES)),
    ("/v1/series", (), ("from", "to", "interval", *CHOICES)),
    ("/v1/reports/annual/{year}/supplied", ("year",), ()),
    ("/v1/live", (), ()),
]


@pytest.fixture(scope="module")
def api(abuse_stack):
    """The API, warm, on a platform that holds events of 2024 and of YEAR (a report of a year
    without any is a 404 no-data): a call of each, folded, whichever abuse modules ran before."""
    run = f"warm{int(time.time())}"
    calls = [event(run, 1), event(run, 2, time=f"{YEAR}-03-01T08:00:00+08:00")]
    with client(abuse_stack, "ingest") as ingest:
        r = ingest.post("/v1/events", content=orjson.dumps(calls), headers={**AUTH, "content-type": BATCH})
        assert r.status_code == 200, r.text
    with client(abuse_stack, "api") as http:
        for year in (2024, YEAR):
            eventually(lambda y=year: http.get(f"/v1/reports/annual/{y}", headers=AUTH).status_code,
                       until=lambda status: status == 200, timeout_s=60, what=f"the {year} report answered")
        yield http


@pytest.fixture(scope="module")
def ch(abuse_stack):
    c: Client = connect(abuse_stack.clickhouse)
    yield c
    c.disconnect()


def tables(ch) -> set[str]:
    return {name for (name,) in ch.execute("SELECT name FROM system.tables WHERE database = 'hotline'")}


def test_sql_looking_strings_in_every_parameter(abuse_stack, api, ch):
    before = tables(ch)
    tried = 0
    for (template, path_params, query_params), text in itertools.product(ROUTES, SQL):
        for target in (*path_params, *query_params):
            values = {**GOOD, target: text}
            path = template.format(**{p: _quote(values[p]) for p in path_params})
            query = {q: values[q] for q in query_params}
            r = api.get(path, params=query, headers=AUTH)
            tried += 1
            assert r.status_code in (400, 404), (path, target, text, r.status_code, r.text[:300])
        r = api.get(template.format(**{p: _quote(GOOD[p]) for p in path_params}),
                    params={text: "1"}, headers=AUTH)  # as a parameter's name
        tried += 1
        # /v1/live and the supplied figures take no parameters and ignore unknown ones
        assert r.status_code in ((400, 404) if query_params else (200, 404)), (template, text, r.status_code)
    for text in SQL:
        r = api.get("/v1/live", headers={"authorization": f"Bearer {text}".replace("\x00", "")})
        assert r.status_code == 401
    assert tried > 500 and tables(ch) == before
    abuse_stack.assert_responsive()


def _quote(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")


def test_sql_looking_supplied_figures_are_stored_verbatim(abuse_stack, api):
    doc = {text: {"value": text, "n": i} for i, text in enumerate(SQL)}
    r = api.put(f"/v1/reports/annual/{YEAR}/supplied", content=orjson.dumps(doc), headers=AUTH)
    assert r.status_code == 200, r.text
    got = api.get(f"/v1/reports/annual/{YEAR}/supplied", headers=AUTH)
    assert got.status_code == 200 and got.json()["figures"] == doc


@pytest.mark.parametrize("depth, status", [(100, 200), (250, 200), (300, 400), (1023, 400), (1100, 400),
                                           (100_000, 413)])
def test_deeply_nested_supplied_figures(abuse_stack, api, depth, status):
    """A document deeper than orjson writes (254 levels) is a 400, not a 500 (before the fix in
    routes/supplied.py: 500 from 300 levels up to the parser's 1024)."""
    r = api.put(f"/v1/reports/annual/{YEAR}/supplied", content=nested_text(depth), headers=AUTH)
    assert r.status_code == status, (depth, r.status_code, r.text[:300])
    abuse_stack.assert_responsive()


def test_oversized_supplied_figures_are_413_before_they_are_read(abuse_stack):
    """A body claimed to be 1 GB is refused from its Content-Length after 1 MB was sent (before
    the fix the API waited for all of it, holding it in memory: here, until the read timeout)."""
    port = abuse_stack.port("api")
    head = post_head(f"/v1/reports/annual/{YEAR}/supplied", {**AUTH, "content-type": "application/json"}, 2**30)
    status, _, body = raw_request(port, head.replace(b"POST ", b"PUT ", 1), b"{" + b" " * 2**20, timeout_s=3)
    assert status == 413 and b"too-large" in body


def test_invalid_utf8_everywhere(abuse_stack, api):
    port = abuse_stack.port("api")
    heads = [
        b"GET /v1/reports/annual/%FF%FE HTTP/1.1\r\n", b"GET /v1/reports/annual/2024?format=%FF HTTP/1.1\r\n",
        b"GET /v1/reports/annual/2024?%FF=1 HTTP/1.1\r\n", b"GET /v1/reports/annual/\xff\xfe HTTP/1.1\r\n",
        b"GET /v1/reports/period?from=2024-01-01&to=\xc3\x28 HTTP/1.1\r\n", b"GET /v1/series?interval=%ED%A0%80 HTTP/1.1\r\n",
        b"GET /v1/reports/annual/2024/tables/%C3%28 HTTP/1.1\r\n",
    ]
    for head in heads:
        status, _, body = raw_request(port, head + b"host: abuse\r\nauthorization: Bearer dev-token\r\n"
                                      b"connection: close\r\n\r\n")
        assert 400 <= status < 500, (head, status, body[:300])
    for body in (b'{"a":"\xff"}', b'{"a":"\\ud800"}', b"\xef\xbb\xbf{}", b"\xff" * 100):
        r = api.put(f"/v1/reports/annual/{YEAR}/supplied", content=body, headers=AUTH)
        assert r.status_code == 400, (body, r.status_code, r.text[:300])
    status, _, _ = raw_request(port, b"GET /v1/live HTTP/1.1\r\nhost: abuse\r\nauthorization: Bearer \xff\xfe\r\n"
                               b"connection: close\r\n\r\n")
    assert status == 401
    abuse_stack.assert_responsive()


def test_huge_headers_are_431(abuse_stack):
    port = abuse_stack.port("api")
    for tail in (b"x-big: " + b"a" * 2**24 + b"\r\n", b"".join(b"x-h%d: %s\r\n" % (i, b"a" * 100) for i in range(20_000))):
        try:
            status, _, _ = raw_request(port, b"GET /v1/live HTTP/1.1\r\nhost: abuse\r\n" + tail + b"\r\n")
            assert status == 431, status
        except (ConnectionResetError, BrokenPipeError):
            pass  # closed while we were still sending: refused too
    abuse_stack.assert_responsive()


def test_control_characters_in_names_do_not_break_the_workbook(abuse_stack, api):
    """The contract keeps any string in `data`; a category and a department with control
    characters reach the report, and supplied figures may hold a NUL in a key and a value. The
    workbook cannot hold them: before render/xlsx.py replaced them (U+FFFD) the Excel answer was a
    500 (IllegalCharacterError), found by schemathesis."""
    run = f"ctl{int(time.time())}"
    nul = {"x\x00y": {"value": "x\x00y", "n": 1}}
    assert api.put(f"/v1/reports/annual/{YEAR}/supplied", content=orjson.dumps(nul), headers=AUTH).status_code == 200
    events = [
        {"specversion": "1.0", "id": f"{run}-1", "source": "/abuse/portal", "type": "hotline.ticket.created",
         "time": "2025-03-03T09:00:00+08:00", "subject": f"T-{run}",
         "data": {"requester": "citizen", "channel": "web", "kind": "non_consult", "category": "bad\x01name"}},
        {"specversion": "1.0", "id": f"{run}-2", "source": "/abuse/portal", "type": "hotline.ticket.dispatched",
         "time": "2025-03-03T10:00:00+08:00", "subject": f"T-{run}", "data": {"department": "dept\x02x"}},
    ]
    with client(abuse_stack, "ingest") as ingest:
        r = ingest.post("/v1/events", content=orjson.dumps(events),
                        headers={**AUTH, "content-type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    eventually(lambda: b"bad\\u0001name" in api.get("/v1/reports/annual/2025", headers=AUTH).content, timeout_s=60,
               interval_s=1, what="the category with a control character in the 2025 report")
    for year in (2025, YEAR):  # YEAR: the supplied figures with a NUL
        r = api.get(f"/v1/reports/annual/{year}", params={"format": "xlsx"}, headers=AUTH)
        assert r.status_code == 200, (year, r.text[:300])
        cells = [c for ws in load_workbook(io.BytesIO(r.content)) for row in ws.iter_rows(values_only=True)
                 for c in row if isinstance(c, str)]
        assert year == YEAR or "bad\ufffdname" in cells


def test_memory_is_bounded_over_a_round_of_abuse(abuse_stack, api):
    """Measured around a round of its own (every route with SQL-looking parameters, supplied
    figures nested, oversized and invalid, huge headers, the workbook), so that it means the same
    whichever tests ran before."""
    port = abuse_stack.port("api")
    before = abuse_stack.rss_mb("api")
    for (template, path_params, query_params), text in itertools.product(ROUTES, SQL):
        values = {**GOOD, **{p: text for p in (*path_params, *query_params)}}
        path = template.format(**{p: _quote(values[p]) for p in path_params})
        assert api.get(path, params={q: values[q] for q in query_params}, headers=AUTH).status_code < 500
    for depth in (250, 300, 1100):
        assert api.put(f"/v1/reports/annual/{YEAR}/supplied", content=nested_text(depth), headers=AUTH).status_code < 500
    head = post_head(f"/v1/reports/annual/{YEAR}/supplied", {**AUTH, "content-type": "application/json"}, 2**30)
    assert raw_request(port, head.replace(b"POST ", b"PUT ", 1), b"{" + b" " * 2**20, timeout_s=3)[0] == 413
    try:
        raw_request(port, b"GET /v1/live HTTP/1.1\r\nhost: abuse\r\nx-big: " + b"a" * 2**24 + b"\r\n\r\n")
    except (ConnectionResetError, BrokenPipeError):
        pass  # closed while we were still sending: refused too
    for year in (2024, YEAR):
        assert api.get(f"/v1/reports/annual/{year}", params={"format": "xlsx"}, headers=AUTH).status_code == 200
    after = abuse_stack.rss_mb("api")
    print(f"api RSS: {before:.0f} MB before, {after:.0f} MB after a round of abusive inputs")
    assert after - before < MEMORY_BOUND_MB, (before, after)
