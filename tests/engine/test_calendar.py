"""The working-day calendar: day 0, weekends, holidays, and the start-of-day / end-of-day readings."""

import datetime as dt

import pytest

from teamcast.engine.plan.calendar import Calendar

MON = dt.date(2027, 1, 4)


def test_day_zero_is_the_start_or_the_next_working_day():
    assert Calendar(MON).day0 == MON
    assert Calendar(dt.date(2027, 1, 2)).day0 == MON  # a Saturday
    assert Calendar(MON, [MON]).day0 == dt.date(2027, 1, 5)


def test_days_skip_weekends_and_holidays():
    cal = Calendar(MON, [dt.date(2027, 1, 6)])
    assert [cal.day_to_date(d) for d in range(5)] == [
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 7),
        dt.date(2027, 1, 8),
        dt.date(2027, 1, 11),
    ]
    assert cal.date_to_day(dt.date(2027, 1, 11)) == 4.0


def test_a_fractional_day_falls_on_its_working_day():
    cal = Calendar(MON)
    assert cal.day_to_date(2.0) == cal.day_to_date(2.99) == dt.date(2027, 1, 6)


def test_a_non_working_date_begins_at_the_next_working_day():
    cal = Calendar(MON)
    assert cal.date_to_day(dt.date(2027, 1, 9)) == cal.date_to_day(dt.date(2027, 1, 11)) == 5.0


def test_dates_before_the_start_are_negative_days():
    cal = Calendar(MON)
    assert cal.date_to_day(dt.date(2026, 12, 31)) == -2.0
    assert cal.day_to_date(-1) == dt.date(2027, 1, 1)


def test_date_to_day_inverts_day_to_date_on_working_days():
    cal = Calendar(MON, [dt.date(2027, 5, 31)])
    for day in range(-30, 300):
        assert cal.date_to_day(cal.day_to_date(day)) == day


def test_end_of_day_and_finish_date_read_a_date_as_its_end():
    cal = Calendar(MON)
    assert cal.finish_date(5.0) == dt.date(2027, 1, 8)  # five days of work end on Friday
    assert cal.finish_date(4.2) == dt.date(2027, 1, 8)
    assert cal.finish_date(5.1) == dt.date(2027, 1, 11)
    assert cal.end_of_day(dt.date(2027, 1, 8)) == 5.0
    assert cal.end_of_day(dt.date(2027, 1, 9)) == 5.0  # a deadline on Saturday ends with Friday
    for day in range(1, 100):
        assert cal.end_of_day(cal.finish_date(day)) == day


def test_working_days():
    cal = Calendar(MON, [dt.date(2027, 1, 6)])
    assert cal.is_working_day(MON)
    assert not cal.is_working_day(dt.date(2027, 1, 6))
    assert not cal.is_working_day(dt.date(2027, 1, 9))


@pytest.mark.parametrize("days", [float("nan"), float("inf")])
def test_non_finite_days_are_refused(days):
    with pytest.raises(ValueError, match="not a finite number of days"):
        Calendar(MON).day_to_date(days)


def test_a_weekend_before_day_zero_counts_as_the_next_working_day():
    import datetime as dt

    from teamcast.engine.plan.calendar import Calendar

    cal = Calendar(dt.date(2027, 1, 4))
    assert cal.date_to_day(dt.date(2026, 12, 19)) == cal.date_to_day(dt.date(2026, 12, 21)) == -10.0
    assert cal.date_to_day(dt.date(2026, 12, 18)) == -11.0
    assert cal.date_to_day(dt.date(2027, 1, 9)) == cal.date_to_day(dt.date(2027, 1, 11)) == 5.0
