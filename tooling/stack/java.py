"""The Java runtime the stack's JVM servers (Apache Kafka, ZooKeeper) run on: one lookup, one
message when it is missing."""

from __future__ import annotations

import shutil

from hotline.errors import MissingDependency


def find_java(program: str, needed_by: str) -> str:
    """The path of `program` (a name on PATH or a path); MissingDependency naming `needed_by`."""
    java = shutil.which(program)
    if java is None:
        raise MissingDependency(f"no Java runtime ({program}) on PATH: {needed_by} needs Java 17+")
    return java
