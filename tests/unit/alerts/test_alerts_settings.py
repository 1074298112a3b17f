"""AlertsSettings: HOTLINE_ALERTS_*, the detectors' parameters field for field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.alerts.detect.cluster import ClusterParams
from services.alerts.detect.pingpong import PingPongParams
from services.alerts.detect.surge import SurgeParams
from services.alerts.settings import AlertsSettings

pytestmark = pytest.mark.usefixtures("clean_env")  # tests/unit/conftest.py


def test_defaults():
    s = AlertsSettings()
    assert (s.host, s.port, s.every_s, s.live_days, s.detector) == ("127.0.0.1", 8095, 5.0, 3, "alerts")
    assert s.kafka.topic_alerts == "hotline.alerts.v1"
    # the detectors' own defaults, untouched
    assert (s.surge, s.cluster, s.pingpong) == (SurgeParams(), ClusterParams(), PingPongParams())


def test_port_and_cycle_from_the_environment(clean_env):
    clean_env.setenv("HOTLINE_ALERTS_PORT", "18095")
    clean_env.setenv("HOTLINE_ALERTS_EVERY_S", "0.5")
    s = AlertsSettings()
    assert (s.port, s.every_s) == (18095, 0.5)


def test_one_threshold_by_its_nested_variable(clean_env):
    clean_env.setenv("HOTLINE_ALERTS_SURGE__BASELINE_DAYS", "7")
    clean_env.setenv("HOTLINE_ALERTS_CLUSTER__MIN_CALLERS", "6")
    clean_env.setenv("HOTLINE_ALERTS_PINGPONG__MAX_DISPATCHES", "4")
    s = AlertsSettings()
    assert (s.surge.baseline_days, s.surge.guard_days) == (7, 1)
    assert s.surge.history_days == 8
    assert (s.cluster.min_callers, s.cluster.min_tickets) == (6, 5)
    assert (s.pingpong.max_dispatches, s.pingpong.close_after_days) == (4, 7.0)


def test_a_whole_parameter_object_as_json(clean_env):
    clean_env.setenv("HOTLINE_ALERTS_PINGPONG", '{"max_dispatches": 5, "close_after_days": 2}')
    s = AlertsSettings()
    assert (s.pingpong.max_dispatches, s.pingpong.close_after_days) == (5, 2.0)


def test_an_unknown_threshold_is_refused_by_name(clean_env):
    clean_env.setenv("HOTLINE_ALERTS_SURGE__TRESHOLD", "10")
    with pytest.raises(ValidationError, match="unknown field.*treshold"):
        AlertsSettings()


def test_a_threshold_of_the_wrong_type_is_refused(clean_env):
    clean_env.setenv("HOTLINE_ALERTS_CLUSTER__MIN_CALLERS", "many")
    with pytest.raises(ValidationError, match="min_callers"):
        AlertsSettings()


@pytest.mark.parametrize("var, value", [("HOTLINE_ALERTS_PORT", "0"), ("HOTLINE_ALERTS_EVERY_S", "0"),
                                        ("HOTLINE_ALERTS_LIVE_DAYS", "0"), ("HOTLINE_ALERTS_DETECTOR", "Two Words")])
def test_out_of_range_values_are_refused(clean_env, var, value):
    clean_env.setenv(var, value)
    with pytest.raises(ValidationError):
        AlertsSettings()


def test_passed_as_objects():
    s = AlertsSettings(surge=SurgeParams(baseline_days=14), every_s=1)
    assert s.surge.baseline_days == 14
