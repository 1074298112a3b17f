"""`hotline simulate --to file`: the command a user runs, end to end without a stack."""

from __future__ import annotations

import gzip

import orjson

from tooling.cli import main
from hotline.contract import validate_event


def test_simulate_to_a_gzip_file_writes_every_event_once(tmp_path, capsys):
    out = tmp_path / "riverside.ndjson.gz"
    rc = main(["simulate", "--profile", "riverside-2023", "--scale", "0.01", "--seed", "3",
               "--to", "file", "--out", str(out), "--no-previous"])
    assert rc == 0
    events = [orjson.loads(line) for line in gzip.open(out).read().splitlines()]
    said = capsys.readouterr().err
    # 60,000 demands × 0.01 = 600 tickets; 56,000 answered + 4,200 outbound calls × 0.01 and the abandoned ones
    assert "2023: 600 tickets" in said and f"{len(events):,} distinct events" in said
    assert len({(e["source"], e["id"]) for e in events}) == len(events)
    for e in events[::50]:
        validate_event(e)
    assert {e["data"]["channel"] for e in events if e["type"] == "hotline.ticket.created"} >= {"phone", "110"}


def test_simulate_refuses_what_it_cannot_do(capsys):
    assert main(["simulate", "--to", "file"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["simulate", "--scale", "2"]) == 2
    assert main(["simulate", "--profile", "/nonexistent.json", "--to", "file", "--out", "-"]) == 1
    assert "no profile file /nonexistent.json" in capsys.readouterr().err
