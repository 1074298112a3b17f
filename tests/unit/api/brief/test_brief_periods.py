"""ISO weeks and months of the brief (services/api/brief/periods.py)."""

from __future__ import annotations

from datetime import date as D

import pytest

from services.api.brief import periods
from services.api.report.errors import BadPeriod
from services.api.report.period import Period


def test_an_iso_week_its_week_before_and_the_same_week_a_year_earlier():
    bp = periods.week("2024-W25")
    assert (bp.kind, bp.label) == ("weekly", "2024-W25")
    assert bp.period == Period(D(2024, 6, 17), D(2024, 6, 23))
    assert bp.previous == Period(D(2024, 6, 10), D(2024, 6, 16))
    assert bp.last_year == Period(D(2023, 6, 19), D(2023, 6, 25))


def test_week_one_may_start_in_december_and_week_53_falls_back_to_52():
    assert periods.week("2025-W01").period == Period(D(2024, 12, 30), D(2025, 1, 5))
    bp = periods.week("2020-W53")  # 2020 has 53 ISO weeks, 2019 has 52
    assert bp.period == Period(D(2020, 12, 28), D(2021, 1, 3))
    assert bp.last_year == Period(D(2019, 12, 23), D(2019, 12, 29))


def test_a_month_the_month_before_and_a_year_earlier():
    bp = periods.month("2024-03")
    assert bp.period == Period(D(2024, 3, 1), D(2024, 3, 31))
    assert bp.previous == Period(D(2024, 2, 1), D(2024, 2, 29))
    assert bp.last_year == Period(D(2023, 3, 1), D(2023, 3, 31))
    assert periods.month("2024-01").previous == Period(D(2023, 12, 1), D(2023, 12, 31))


@pytest.mark.parametrize("label,parameter,message", [
    ("2024-25", "week", "like 2024-W25"), ("2021-W53", "week", "weeks 1 to 52"), ("2024-W00", "week", "weeks 1 to 52"),
    ("1999-W10", "week", "between 2000 and 2100"),
])
def test_bad_weeks_name_the_parameter(label, parameter, message):
    with pytest.raises(BadPeriod) as err:
        periods.week(label)
    assert err.value.parameter == parameter and message in str(err.value)


@pytest.mark.parametrize("label,message", [("2024-13", "01 to 12"), ("2024-6", "like 2024-06"), ("2024-00", "01 to 12")])
def test_bad_months_name_the_parameter(label, message):
    with pytest.raises(BadPeriod) as err:
        periods.month(label)
    assert err.value.parameter == "month" and message in str(err.value)
