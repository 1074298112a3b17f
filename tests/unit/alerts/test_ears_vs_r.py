"""EARS C2 (services/alerts/detect/ears.py) against R's reference, surveillance::earsC.

The first test states the bounds R printed for one series (surveillance 1.20.3); the second runs
R itself (Debian's r-cran-surveillance, installed by scripts/bootstrap.sh) on series of every
size the evaluation meets and compares day by day.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from services.alerts.detect.ears import c2

SERIES = [12, 15, 9, 14, 11, 13, 10, 16, 12, 30, 14, 13, 11, 9, 25, 12, 14, 13, 15, 40]
# upperbound(earsC(sts(observed = SERIES), control = list(method = "C2", alpha = 0.001))),
# days 10 … 20, as R printed them.
R_BOUNDS = [18.675665, 20.719558, 19.591230, 36.285450, 36.285450, 36.070548, 36.285450,
            36.557924, 40.859978, 40.859978, 29.957891]


def test_c2_bounds_are_those_r_printed():
    got = c2(np.array(SERIES))
    assert np.isnan(got.upperbound[:9]).all()
    assert got.upperbound[9:] == pytest.approx(R_BOUNDS, abs=1e-6)
    # 30 and 40 alarm; 25 does not: the 30 five days before it widened its baseline
    assert np.flatnonzero(got.alarm).tolist() == [9, 19]


R_SCRIPT = r"""
suppressMessages(library(surveillance))
y <- scan(file("stdin"), quiet = TRUE)
s <- sts(observed = matrix(y, ncol = 1), start = c(2023, 1), frequency = 365)
r <- earsC(s, control = list(method = "C2", alpha = %s, minSigma = %s))
cat(sprintf("%%.9f", upperbound(r)[, 1]), sep = "\n")
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is installed by scripts/bootstrap.sh")
@pytest.mark.parametrize("mean,alpha,min_sigma", [(0.4, 0.001, 0.0), (6.0, 0.001, 0.0), (45.0, 0.01, 0.0),
                                                  (3.0, 0.001, 1.0)])
def test_c2_matches_r_day_by_day(mean, alpha, min_sigma):
    rng = np.random.default_rng(int(mean * 10))
    y = rng.poisson(mean, size=120)
    out = subprocess.run(["Rscript", "-e", R_SCRIPT % (alpha, min_sigma)], input=" ".join(map(str, y)),
                         capture_output=True, text=True, timeout=120, check=True)
    r_bounds = np.array([float(v) for v in out.stdout.split()])
    ours = c2(y, alpha=alpha, min_sigma=min_sigma).upperbound
    assert len(r_bounds) == len(y) - 9
    assert ours[9:] == pytest.approx(r_bounds, abs=1e-7)
