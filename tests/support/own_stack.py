"""A local stack of a test module's own, started and stopped with the `hotline` command as a user
would, on its own ports and state folder, so that its live figures and reports hold only what
the module sent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def hotline(env: dict[str, str], *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout_s)


@contextmanager
def own_stack(name: str, ports: dict[str, str]) -> Iterator[dict[str, str]]:
    """`ports`: HOTLINE_*_PORT and HOTLINE_KAFKA_BOOTSTRAP_SERVERS values. Yields the environment
    the stack runs with (pass it to `hotline` for status, up, …). Purged afterwards."""
    env = {**os.environ, **ports, "HOTLINE_STATE_DIR": str(REPO / ".state" / name)}
    hotline(env, "down", "--purge")
    up = hotline(env, "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env
    finally:
        hotline(env, "down", "--purge")
