"""`hotline calendar`: the working-day calendar from the command line (docs/operations/calendar.md).

    hotline calendar                 how far it reaches, from which sources, what is pending
    hotline calendar sync            re-read HOTLINE_CALENDAR_FILE and the stored schedules, put the
                                     result in force, recompute the handling times it changes
    hotline calendar supply FILE     validate, store and put in force a year schedule (or a list)
    hotline calendar withdraw YEAR   withdraw a supplied year
    hotline calendar template YEAR   a year the library knows, written as a schedule document
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson


def _settings():
    from hotline.settings import CalendarSettings, CitySettings, ClickHouseSettings

    return ClickHouseSettings(), CitySettings().timezone, CalendarSettings()


def coverage_line() -> str:
    """One line for `hotline status`: how far the calendar in force reaches, what is pending."""
    from hotline.storage import work_calendar
    from hotline.storage.client import connect

    ch, tz, _ = _settings()
    client = connect(ch)
    try:
        cal = work_calendar.in_force(client, ch.database)
        pending = work_calendar.pending_count(client, ch.database)
    finally:
        client.disconnect()
    if cal is None:
        return "no calendar in force yet: `hotline calendar sync` (handling times are pending until then)"
    left = cal.days_left(dt.datetime.now(ZoneInfo(tz)).date())
    line = f"covers up to {cal.covered_until} ({left} days left); {pending} handling times pending"
    return line + "".join(f"\n  not used: {p}" for p in cal.problems)


def _print_synced(synced) -> None:  # noqa: ANN001 - work_calendar.Synced
    c = synced.combined
    print(f"the working-day calendar covers {c.calendar.first} to {c.covered_until}")
    for s in c.sources:
        years = str(s.first_year) if s.first_year == s.last_year else f"{s.first_year}-{s.last_year}"
        print(f"  {years}: {s.origin}")
    for p in c.problems:
        print(f"  not used: {p}")
    print(f"{'a new calendar was put in force' if synced.changed else 'unchanged'}; "
          f"{synced.refreshed} tickets' handling times recomputed")


def _cmd_show(args: argparse.Namespace) -> int:
    print(coverage_line())
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from hotline.storage import work_calendar

    ch, tz, cal = _settings()
    _print_synced(work_calendar.sync_configured(ch, tz, cal))
    return 0


def _cmd_supply(args: argparse.Namespace) -> int:
    from hotline.calendar.schedule import loads
    from hotline.storage import work_calendar
    from hotline.storage.client import connect

    ch, tz, cal = _settings()
    schedules = loads(Path(args.file).read_bytes())
    client = connect(ch)
    try:
        for s in schedules:
            stored = work_calendar.supply(client, ch.database, tz, s, f"supplied from {Path(args.file).name}",
                                          library_until=cal.library_until)
            print(f"{s.year}: {'stored' if stored else 'already stored, unchanged'}")
    finally:
        client.disconnect()
    _print_synced(work_calendar.sync_configured(ch, tz, cal))
    return 0


def _cmd_withdraw(args: argparse.Namespace) -> int:
    from hotline.storage import work_calendar
    from hotline.storage.client import connect

    ch, tz, cal = _settings()
    client = connect(ch)
    try:
        gone = work_calendar.withdraw(client, ch.database, args.year, "withdrawn from the command line")
    finally:
        client.disconnect()
    if not gone:
        print(f"hotline calendar withdraw: no supplied schedule of {args.year} is in force", file=sys.stderr)
        return 1
    _print_synced(work_calendar.sync_configured(ch, tz, cal))
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from hotline.calendar.schedule import from_library
    from hotline.calendar.work import library_last_year

    if args.year > library_last_year():
        print(f"hotline calendar template: the library knows years up to {library_last_year()}", file=sys.stderr)
        return 1
    sys.stdout.write(orjson.dumps(from_library(args.year).to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers type
    cal = sub.add_parser("calendar", help="the working-day calendar: coverage, year schedules (sync, supply, withdraw)")
    cal.set_defaults(func=_cmd_show)
    verbs = cal.add_subparsers(dest="verb")
    verbs.add_parser("show", help="how far it reaches and what is pending (the default)").set_defaults(func=_cmd_show)
    verbs.add_parser("sync", help="put the file's and stored schedules in force; recompute handling times"
                     ).set_defaults(func=_cmd_sync)
    supply = verbs.add_parser("supply", help="validate, store and put in force a year schedule file")
    supply.add_argument("file", help="a JSON schedule, or a list of them")
    supply.set_defaults(func=_cmd_supply)
    withdraw = verbs.add_parser("withdraw", help="withdraw a supplied year")
    withdraw.add_argument("year", type=int)
    withdraw.set_defaults(func=_cmd_withdraw)
    template = verbs.add_parser("template", help="a year the library knows, as a schedule document")
    template.add_argument("year", type=int)
    template.set_defaults(func=_cmd_template)
