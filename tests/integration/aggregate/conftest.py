"""What the aggregate workers' integration tests share: the stack's first worker."""

from __future__ import annotations

import pytest

from tests.support.pipeline import AGGREGATE
from tooling.stack.services import LocalService


@pytest.fixture
def worker(local_stack):
    """The stack's first aggregate worker, running at the start and the end of each test."""
    w = LocalService(local_stack.stack, AGGREGATE)
    w.start()
    yield w
    w.start()
