"""Upgrade guard of the Faust seam (services/aggregate/consumer.py): fails loudly when
faust-streaming or mode-streaming change what the seam relies on, and says what to re-check.

The seam overrides Faust internals that have no public contract. When one of these tests fails
after an upgrade, do not just update the figure: read the new version of the named code, compare
it with what consumer.py's docstring says it relies on, port what changed into `drain`
(consumer.py) or the revocation handling (batches.py, queues.py), run tests/unit/aggregate and
tests/integration/aggregate (test_rebalance.py above all), then record the new version and
hashes here and in `CHECKED_AGAINST`.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from faust.app.base import App
from faust.tables.recovery import Recovery
from faust.transport.base import Transport
from faust.transport.consumer import Consumer, Fetcher
from faust.transport.drivers.aiokafka import ConsumerRebalanceListener
from faust.types import TP

from services.aggregate import consumer as seam
from services.aggregate.consumer import Acked, AggregateApp, BatchingConsumer, BatchingTransport
from tests.support.pins import pinned

REPO = Path(__file__).resolve().parents[3]
SEAM = Path(seam.__file__)

RECHECK = "re-read it and check services/aggregate/consumer.py against it (see this module's docstring)"


@pytest.mark.parametrize("package", ["faust-streaming", "mode-streaming"])
def test_the_installed_version_is_the_one_the_seam_was_checked_against(package):
    installed = importlib.metadata.version(package)
    assert installed == pinned(package) == seam.CHECKED_AGAINST[package], (
        f"{package}: installed {installed}, constraints.txt {pinned(package)}, seam checked against "
        f"{seam.CHECKED_AGAINST[package]}. The aggregate worker overrides {package} internals; "
        f"{RECHECK}, then set CHECKED_AGAINST.")


def sha(obj: object) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


# (what, the code, its source hash at the checked version, what the seam relies on in it)
UPSTREAM: list[tuple[str, Callable[[], object], str, str]] = [
    ("faust Consumer._drain_messages", lambda: Consumer._drain_messages, "44a2500309e83c63",
     "consumer.drain mirrors this loop (skip below _read_offset, gaps, commit_every, stop and "
     "cancel handling); port every change of it"),
    ("faust Consumer._wait_next_records", lambda: Consumer._wait_next_records, "6218e1969a636b3f",
     "returns (records by TP, active partitions or None) and waits while the flow is stopped"),
    ("faust Consumer._add_gap", lambda: Consumer._add_gap, "4df2573ded7c1c2c",
     "records offsets that never arrive; its one await is where a revocation can begin in drain"),
    ("faust Consumer.ack", lambda: Consumer.ack, "5fcf41cf45153475",
     "reads message.acked/.tp/.topic/.offset and discards it from a WeakSet: Acked has just these"),
    ("faust Consumer.perform_seek", lambda: Consumer.perform_seek, "0e8c130ff4b0afd8",
     "resets _read_offset to the committed offsets (what drain relies on after a dropped fetch)"),
    ("faust Consumer.on_partitions_revoked", lambda: Consumer.on_partitions_revoked, "d04b7ae72c6fc206",
     "pops _acked/_read_offset of revoked partitions, then calls the app's _on_partitions_revoked"),
    ("faust Consumer.__init__", lambda: Consumer.__init__, "302410d59e6972d1",
     "creates _read_offset (defaultdict of None), _buffered_partitions, _commit_every, _n_acked"),
    ("faust App._on_partitions_revoked", lambda: App._on_partitions_revoked, "d5c895bbe57dc73a",
     "calls consumer.stop_flow() before any await and sends the on_partitions_revoked signal "
     "last: the revocation epoch (queues.Ownership) is exact only with this order"),
    ("faust App._new_transport", lambda: App._new_transport, "42db531312dd776f",
     "the one place the app builds its consumer transport (AggregateApp overrides it)"),
    ("faust App.transport", lambda: App.transport.fget, "faf137f34d512f4e",
     "builds the transport through _new_transport()"),
    ("faust Transport.create_consumer", lambda: Transport.create_consumer, "46cc2bf5ab14acfa",
     "instantiates the transport's Consumer class attribute (BatchingTransport.Consumer)"),
    ("faust Fetcher._fetcher", lambda: Fetcher._fetcher.fun, "68f894f0b577d810",
     "runs consumer._drain_messages(fetcher), the method BatchingConsumer overrides"),
    ("faust Recovery._resume_streams", lambda: Recovery._resume_streams, "d986a6710c1aca98",
     "after each assignment seeks every assigned partition to its committed offset before "
     "resume_flow(): why dropping in-flight batches on revocation loses nothing"),
    ("faust ConsumerRebalanceListener.on_partitions_assigned",
     lambda: ConsumerRebalanceListener.on_partitions_assigned, "1c1f8406ad3698a6",
     "sets app.consumer_generation_id before the assignment callbacks (drain's generation check)"),
]


@pytest.mark.parametrize("what, code, expected, relies_on", UPSTREAM, ids=[u[0] for u in UPSTREAM])
def test_upstream_code_the_seam_relies_on_is_unchanged(what, code, expected, relies_on):
    got = sha(code())
    assert got == expected, (
        f"{what} changed (source hash {got}, checked: {expected}). The aggregate worker relies on "
        f"it: {relies_on}. {RECHECK}, then update the hash in tests/unit/aggregate/test_faust_seam.py.")


SIGNATURES = [
    (Consumer._drain_messages, ["self", "fetcher"]),
    (Consumer._wait_next_records, ["self", "timeout"]),
    (Consumer._add_gap, ["self", "tp", "offset_from", "offset_to"]),
    (Consumer.perform_seek, ["self"]),
    (Consumer.highwater, ["self", "tp"]),
    (Consumer.commit, ["self", "topics", "start_new_transaction"]),
    (Consumer.ack, ["self", "message"]),
    (App._new_transport, ["self"]),
]


@pytest.mark.parametrize("fn, params", SIGNATURES, ids=[f.__qualname__ for f, _ in SIGNATURES])
def test_signatures_the_seam_calls(fn, params):
    got = list(inspect.signature(fn).parameters)
    assert got == params, f"{fn.__qualname__}{inspect.signature(fn)} changed (was {params}); {RECHECK}."


@pytest.fixture
def app() -> AggregateApp:
    """A real app and consumer object; nothing connects (the broker address is never used)."""
    return AggregateApp("seam-test", broker="kafka://127.0.0.1:1", store="memory://",
                        topic_disable_leader=True, key_serializer="raw", value_serializer="raw")


def test_the_app_builds_the_batching_consumer(app):
    assert isinstance(app.transport, BatchingTransport)
    assert type(app.consumer) is BatchingConsumer, (
        f"Faust built {type(app.consumer).__name__}: the _new_transport / Transport.Consumer hook "
        f"no longer applies; {RECHECK}.")


def test_the_consumer_state_the_loop_reads_exists_with_its_types(app):
    c = app.consumer
    problems = []
    if c._read_offset[TP("t", 0)] is not None:
        problems.append("_read_offset[unread partition] is not None")
    for name, check in [("_buffered_partitions", lambda v: isinstance(v, set)),
                        ("_n_acked", lambda v: isinstance(v, int)),
                        ("_commit_every", lambda v: v is None or isinstance(v, int)),
                        ("_stopped", lambda v: callable(getattr(v, "is_set", None))),
                        ("flow_active", lambda v: isinstance(v, bool)),
                        ("should_stop", lambda v: isinstance(v, bool)),
                        ("consumer_stopped_errors", lambda v: isinstance(v, tuple) and v)]:
        if not hasattr(c, name) or not check(getattr(c, name)):
            problems.append(f"{name} = {getattr(c, name, 'missing')!r}")
    for name in ("_wait_next_records", "_add_gap", "perform_seek", "commit", "sleep"):
        if not inspect.iscoroutinefunction(getattr(c, name, None)):
            problems.append(f"{name} is not a coroutine function")
    if not isinstance(app.consumer_generation_id, int):
        problems.append("app.consumer_generation_id is not an int")
    if not callable(getattr(app._fetcher._stopped, "is_set", None)):
        problems.append("the fetcher has no _stopped event")
    assert not problems, f"the Faust consumer changed: {problems}; {RECHECK}."


def test_faust_ack_takes_an_acked_and_counts_it_once(app, monkeypatch):
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)
    c, tp = app.consumer, TP("calls", 0)
    a = Acked(tp, 5)
    assert c.ack(a) is True and a.acked is True
    assert c.ack(a) is False  # acked once only
    assert c._acked[tp] == [5] and c._n_acked == 1


def declared_private_names() -> set[str]:
    """The `_names` consumer.py's docstring declares (inside backquotes)."""
    names = set()
    for span in re.findall(r"`([^`]+)`", seam.__doc__ or ""):
        names |= set(re.findall(r"(?:^|\.)(_[a-z]\w*)", span))
    return names


def private_names_used(path: Path) -> set[str]:
    """Private attributes read on anything but `self`, and private methods defined in classes."""
    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                used.add(node.attr)
        if isinstance(node, ast.ClassDef):
            used |= {f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and re.fullmatch(r"_[a-z]\w*", f.name)}
    return used


def test_the_seam_declares_every_private_name_it_uses():
    undeclared = private_names_used(SEAM) - declared_private_names()
    assert not undeclared, (
        f"consumer.py uses {sorted(undeclared)} without naming them in its docstring: name each "
        f"with why, and add what it relies on to UPSTREAM in this test.")


def test_no_other_module_touches_faust_internals():
    faust_private = declared_private_names()
    offenders = {}
    for path in sorted((REPO / "services").rglob("*.py")):
        if path == SEAM:
            continue
        used = private_names_used(path) & faust_private
        text = path.read_text()
        if used or re.search(r"^\s*(from|import) (faust|mode)\.(transport|app|tables|utils)", text, re.M):
            offenders[str(path.relative_to(REPO))] = sorted(used) or "imports Faust internals"
    assert not offenders, f"Faust internals outside services/aggregate/consumer.py: {offenders}"
