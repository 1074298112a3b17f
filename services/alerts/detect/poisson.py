"""The Poisson upper tail P(X ≥ k | λ), exact enough for alert thresholds far out in the tail.

The detectors of counts (concentrated demands, return pairs) ask how surprising k events are
where λ were expected. P(X ≥ k) is the regularised lower incomplete gamma function P(k, λ),
computed here in the log domain (a series when λ < k + 1, Lentz's continued fraction for the
complement otherwise), so a p-value of 1e-30 is a number, not zero. Pure, no dependencies: the
runtime has no scipy.
"""

from __future__ import annotations

import math

_EPS = 1e-15
_MAX_TERMS = 10_000
_TINY = 1e-300


def log_tail(k: int, lam: float) -> float:
    """ln P(X ≥ k) for X ~ Poisson(lam); 0.0 (P = 1) when k ≤ 0. lam must be > 0."""
    if k <= 0:
        return 0.0
    if not lam > 0.0:
        raise ValueError(f"a Poisson rate must be positive, not {lam!r}")
    a = float(k)
    # ln(λ^a e^-λ / Γ(a)), the common factor of both expansions
    front = a * math.log(lam) - lam - math.lgamma(a)
    if lam < a + 1.0:
        # P(a, λ) = front/a · Σ λ^n / ((a+1)…(a+n)): converges fast here, every term positive
        term = total = 1.0 / a
        n = 1
        while n < _MAX_TERMS:
            term *= lam / (a + n)
            total += term
            if term < total * _EPS:
                break
            n += 1
        return front + math.log(total)
    # Q(a, λ) = front · 1/(λ+1-a- 1·(1-a)/(λ+3-a- …)); P = 1 - Q is not far in the tail here
    b = lam + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    q = math.exp(front) * h
    return math.log1p(-min(q, 1.0 - 1e-300))


def tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    return math.exp(log_tail(k, lam))


def surprise(k: int, lam: float) -> float:
    """−log10 P(X ≥ k | lam): the alert score (6 means one chance in a million)."""
    return -log_tail(k, lam) / math.log(10.0)
