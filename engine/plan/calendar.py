"""Working-day calendar: maps the simulation's working days from the plan's start to dates and back.

Day 0 is the plan's start, or the next working day when the start is not one. Working days
are Monday to Friday minus the plan's holidays. Days are points in time measured in working
days: day 2.5 is noon of the third working day. Two readings of a date exist, and both are
here: the start of a date (`date_to_day`, `day_to_date`) and the end of a date, which is what
a deadline or a finish date means (`end_of_day`, `finish_date`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np


class Calendar:
    """Mon–Fri working days from `start`, skipping `holidays`."""

    def __init__(self, start: dt.date, holidays: Iterable[dt.date] = ()):
        self._holidays = np.array(sorted(set(holidays)), dtype="datetime64[D]")
        self._calendar = np.busdaycalendar(weekmask="1111100", holidays=self._holidays)
        self.start = start
        self.day0: dt.date = self._to_date(
            np.busday_offset(np.datetime64(start, "D"), 0, roll="forward", busdaycal=self._calendar)
        )

    def is_working_day(self, date: dt.date) -> bool:
        return bool(np.is_busday(np.datetime64(date, "D"), busdaycal=self._calendar))

    def date_to_day(self, date: dt.date) -> float:
        """The day at which `date` begins: its working-day index, or the next working day's for a
        weekend or holiday; negative before day 0."""
        # Roll a weekend or holiday forward first: busday_count counts (end, begin] when end < begin,
        # so an unrolled Saturday before day 0 would land one working day too early.
        rolled = np.busday_offset(np.datetime64(date, "D"), 0, roll="forward", busdaycal=self._calendar)
        count = np.busday_count(np.datetime64(self.day0, "D"), rolled, busdaycal=self._calendar)
        return float(count)

    def day_to_date(self, days: float) -> dt.date:
        """The working day on which the point `days` falls (day 5.0 and 5.9 both fall on working day 5)."""
        return self._offset(math.floor(_finite(days)))

    def end_of_day(self, date: dt.date) -> float:
        """The day at which `date` ends: work finished by then is done 'by `date`' (a deadline)."""
        return self.date_to_day(date + dt.timedelta(days=1))

    def finish_date(self, days: float) -> dt.date:
        """The working day on which work ending at `days` is done: 5 days of work from day 0 end
        on working day 4, the fifth one. The inverse of `end_of_day` on working days."""
        return self._offset(math.ceil(_finite(days)) - 1)

    def _offset(self, index: int) -> dt.date:
        return self._to_date(
            np.busday_offset(np.datetime64(self.day0, "D"), index, roll="forward", busdaycal=self._calendar)
        )

    @staticmethod
    def _to_date(value: np.datetime64) -> dt.date:
        return value.astype("datetime64[D]").item()


def _finite(days: float) -> float:
    if not math.isfinite(days):
        raise ValueError(f"not a finite number of days: {days}")
    return days
