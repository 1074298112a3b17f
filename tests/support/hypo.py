"""Hypothesis settings for property tests that go through real servers."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings


def through_servers(max_examples: int) -> settings:
    """Few, large examples; no deadline. No shrinking either: shrinking a failure through real
    servers takes far too long, and Hypothesis prints the seed that reproduces it."""
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                    phases=(Phase.explicit, Phase.reuse, Phase.generate))
