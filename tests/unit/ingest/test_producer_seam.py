"""Upgrade guard of the aiokafka seam (services/ingest/producer.py): fails loudly when aiokafka
changes what the override relies on. When it fails after an upgrade, read the new
`AIOKafkaProducer._partition` and `send`, check that `send` still chooses each message's
partition through `_partition` with the same arguments and that skipping its check of a given
partition is still all the override does, then record the new version and hash here and in
`CHECKED_AGAINST`."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import inspect
import re

from aiokafka import AIOKafkaProducer

from services.ingest import producer as seam
from tests.support.pins import pinned


def test_the_installed_aiokafka_is_the_one_the_seam_was_checked_against():
    installed = importlib.metadata.version("aiokafka")
    assert installed == pinned("aiokafka") == seam.CHECKED_AGAINST["aiokafka"], (
        f"aiokafka: installed {installed}, constraints.txt {pinned('aiokafka')}, seam checked against "
        f"{seam.CHECKED_AGAINST['aiokafka']}: re-read AIOKafkaProducer._partition and send (this module's docstring)")


def test_the_overridden_method_is_unchanged():
    source = inspect.getsource(AIOKafkaProducer._partition)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "e45fa9c539d431d1", (
        "AIOKafkaProducer._partition changed: re-read it (this module's docstring)")
    assert list(inspect.signature(AIOKafkaProducer._partition).parameters) == list(
        inspect.signature(seam.Producer._partition).parameters)


def test_send_chooses_the_partition_through_it():
    calls = re.findall(r"self\._partition\(([^)]*)\)", inspect.getsource(AIOKafkaProducer.send))
    assert [" ".join(c.split()) for c in calls] == ["topic, partition, key, value, key_bytes, value_bytes"]


def test_a_given_partition_is_taken_without_metadata_and_none_is_left_to_aiokafka():
    async def check() -> None:
        p = seam.Producer(bootstrap_servers="127.0.0.1:9")  # never started: no connection made
        try:
            # The producer knows no topic yet: aiokafka's own check would fail here.
            assert p._metadata.partitions_for_topic("hotline.calls.v1") is None
            assert p._partition("hotline.calls.v1", 5, b"k", b"v", b"k", b"v") == 5
            assert AIOKafkaProducer._partition.__qualname__ != seam.Producer._partition.__qualname__
            try:
                p._partition("hotline.calls.v1", None, b"k", b"v", b"k", b"v")
            except TypeError:  # aiokafka's: list(None) for a topic it has no metadata of
                pass
            else:
                raise AssertionError("without a partition the choice must be aiokafka's")
        finally:
            await p.stop()
    asyncio.run(check())
