"""Fill the event topics once, before any stage is timed: the simulated city-year, as a
producer bypassing ingest would publish it (hotline.simulator.sinks.KafkaSink)."""

from __future__ import annotations

import itertools

from hotline.settings import KafkaSettings
from hotline.simulator import profile
from hotline.simulator.generator import generate
from hotline.simulator.sinks import KafkaSink

PROFILE = "huaian-2023"
_CHUNK = 20_000  # events per send(): each send waits for the broker's acks


def fill(kafka: KafkaSettings, scale: float, seed: int = 1, with_previous: bool = True) -> int:
    """Publish the profile's year (and the year before) at `scale`; returns the events acked.

    Not idempotent: calling it twice doubles the topics' contents (stages count what they read).
    """
    stream = (event for _, event in generate(profile.load(PROFILE), scale=scale, seed=seed,
                                             with_previous=with_previous))
    sink, sent = KafkaSink(kafka), 0
    try:
        while chunk := list(itertools.islice(stream, _CHUNK)):
            sent += sink.send(chunk).accepted
    finally:
        sink.close()
    return sent
