"""What a run keeps of its trials (running counts, project finishes, the first kept trials) and the
summaries built from it: percentiles, P(success), P(on time), criticality, sensitivity, utilization.

Memory is bounded by the chunk size: per-trial arrays live for one chunk; what outlives it are
running sums, the project finish times (trials x projects) and the first kept_trials(...) trials
of task timings (for task percentiles and sensitivity).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled
from teamcast.engine.forecast.result import (
    PEOPLE_RESULT_SCHEMA,
    PERCENTILES,
    PROJECT_RESULT_SCHEMA,
    TASK_RESULT_SCHEMA,
    Forecast,
    day_date,
    result_frame,
)
from teamcast.engine.forecast.sampling import BLOCK
from teamcast.ext import stats
from teamcast.ext.kernel import FIXED_DONE

KEEP = 10_000  # trials kept whole for task percentiles and sensitivity ...
KEEP_CELLS = 10_000_000  # ... but never more than this many trials x tasks (~90 MB)
SENSITIVITY_TRIALS = 2_048


def kept_trials(trials: int, n_tasks: int) -> int:
    """How many of the first trials keep their task timings: 10,000, fewer for very large plans."""
    return min(trials, KEEP, max(BLOCK, KEEP_CELLS // max(n_tasks, 1)))


class Aggregates:
    """What a run keeps of its trials, for a range of blocks, in trial order.

    Integer counts add exactly; float sums are kept per block and added in block order at the
    end, and per-trial arrays are stored at their trial's position, so the result does not
    depend on the chunk size, the thread count or how the blocks were split between workers.
    """

    def __init__(self, compiled: Compiled, trials: int, blocks: range | None = None):
        self.c = compiled
        self.trials = trials
        blocks = blocks if blocks is not None else range(-(-trials // BLOCK))
        self.first = blocks.start * BLOCK  # first trial of this part
        self.count = min(blocks.stop * BLOCK, trials) - self.first
        n_tasks, n_projects, n_units = len(compiled.task_ids), len(compiled.project_ids), len(compiled.unit_ids)
        self.keep = max(0, kept_trials(trials, n_tasks) - self.first)
        self.keep = min(self.keep, self.count)
        # Durations only for the trials sensitivity ranks (the first SENSITIVITY_TRIALS).
        self.keep_duration = min(self.keep, max(0, SENSITIVITY_TRIALS - self.first))
        self.ran = np.zeros(n_tasks, dtype=np.int64)
        self.succeeded = np.zeros(n_tasks, dtype=np.int64)
        self.critical = np.zeros(n_tasks, dtype=np.int64)
        self.busy = np.zeros((len(blocks), n_units))  # per block
        self.available = np.zeros((len(blocks), n_units))
        self._pending: np.ndarray | None = None  # busy and available rows of a block that came in parts
        # Per-trial arrays, not filled: add (or merge) writes every row of them, trial by trial.
        self.proj_finish = np.empty((self.count, n_projects))
        self.proj_success = np.empty((self.count, n_projects), dtype=bool)
        # Finish times of the tasks that succeeded (NaN where a task failed or did not run).
        self.kept_finish = np.empty((self.keep, n_tasks), dtype=np.float32)
        self.kept_duration = np.empty((self.keep_duration, n_tasks), dtype=np.float32)
        # Each task's least and greatest kept finish and how many there are (NaN skipped), kept
        # by tally as it writes them: the percentiles need them and no pass of their own.
        self.kept_min = np.full(n_tasks, np.inf, dtype=np.float32)
        self.kept_max = np.full(n_tasks, -np.inf, dtype=np.float32)
        self.kept_count = np.zeros(n_tasks, dtype=np.int64)

    def add(self, first_trial: int, out, arrival: np.ndarray) -> None:
        """Take in the kernel's output for trials first_trial, first_trial + 1, ... of the run."""
        n = out.state.shape[0]
        at = first_trial - self.first  # row of this chunk's first trial in this part
        # Counts per task (state != STATE_NOT_RUN, == STATE_SUCCEEDED, critical) and each trial's
        # makespan (latest finish, NaN skipped, at least 0) in one pass over the chunk.
        # In the same pass: the first kept trials' finish times (NaN unless the task succeeded) and
        # the first keep_duration trials' durations, as float32 at their trials' rows.
        k = min(n, max(self.keep - at, 0))
        kd = min(n, max(self.keep_duration - at, 0))
        makespan = stats.tally(
            out.state,
            out.critical,
            out.finish,
            self.ran,
            self.succeeded,
            self.critical,
            kept=self.kept_finish[at : at + k],
            start=out.start,
            duration=self.kept_duration[at : at + kd],
            kept_bounds=(self.kept_min, self.kept_max, self.kept_count),
        )
        available = np.maximum(makespan[:, None] - arrival, 0.0)
        self._add_block_sums(at, out.busy, available)
        self.proj_finish[at : at + n] = np.where(out.proj_success.astype(bool), out.proj_finish, np.nan)
        self.proj_success[at : at + n] = out.proj_success.astype(bool)

    def _add_block_sums(self, at: int, busy: np.ndarray, available: np.ndarray) -> None:
        """Busy and available time summed per block of trials, each over its rows in one go (so
        the float sums are the same however the block's trials came in)."""
        row = 0
        while row < len(busy):
            b, offset = divmod(at + row, BLOCK)  # block (of this part) and row within it
            size = min(BLOCK, self.count - b * BLOCK)  # the block's trials
            take = min(size - offset, len(busy) - row)
            if offset == 0 and take == size:  # the whole block at once
                self.busy[b] = busy[row : row + take].sum(axis=0)
                self.available[b] = available[row : row + take].sum(axis=0)
            else:  # part of a block: wait for the rest
                if self._pending is None:
                    self._pending = np.zeros((2, BLOCK, busy.shape[1]))
                self._pending[0, offset : offset + take] = busy[row : row + take]
                self._pending[1, offset : offset + take] = available[row : row + take]
                if offset + take == size:
                    self.busy[b] = self._pending[0, :size].sum(axis=0)
                    self.available[b] = self._pending[1, :size].sum(axis=0)
            row += take

    @classmethod
    def merge(cls, compiled: Compiled, trials: int, parts: Sequence[Aggregates]) -> Aggregates:
        """One whole-run aggregate from parts covering consecutive block ranges."""
        parts = sorted(parts, key=lambda p: p.first)
        whole = cls(compiled, trials)
        for part in parts:
            whole.ran += part.ran
            whole.succeeded += part.succeeded
            whole.critical += part.critical
            b = part.first // BLOCK
            whole.busy[b : b + len(part.busy)] = part.busy
            whole.available[b : b + len(part.available)] = part.available
            whole.proj_finish[part.first : part.first + part.count] = part.proj_finish
            whole.proj_success[part.first : part.first + part.count] = part.proj_success
            if part.keep:
                whole.kept_finish[part.first : part.first + part.keep] = part.kept_finish
                # In trial order, as tally compares them: a later part's value only where less
                # (greater), so equal values (0.0 and -0.0) resolve as in one run.
                whole.kept_min = np.where(part.kept_min < whole.kept_min, part.kept_min, whole.kept_min)
                whole.kept_max = np.where(part.kept_max > whole.kept_max, part.kept_max, whole.kept_max)
                whole.kept_count += part.kept_count
            if part.keep_duration:
                whole.kept_duration[part.first : part.first + part.keep_duration] = part.kept_duration
        return whole

    def result(
        self, *, seed: int, priority: str, modifiers: tuple[str, ...], sensitivity: bool = True, tasks: bool = True
    ) -> Forecast:
        """The forecast; `tasks=False` leaves the per-task frame empty (a sweep reports projects)."""
        c = self.c
        cal = c.calendar
        trials = self.trials
        plan = c.plan
        project_rows = plan.projects.to_dicts()

        # Projects.
        rows = []
        for p, pid in enumerate(c.project_ids):
            ok = self.proj_success[:, p]
            fin = self.proj_finish[ok, p]
            q = percentiles_of(fin, PERCENTILES) if fin.size else [np.nan] * len(PERCENTILES)
            deadline = c.project_deadline[p]
            on_time = float(np.mean(ok & (self.proj_finish[:, p] <= deadline))) if not np.isnan(deadline) else np.nan
            p_success = float(ok.mean())
            rows.append(
                {
                    "id": pid,
                    "name": project_rows[p]["name"] or pid,
                    "p_success": p_success,
                    "p_on_time": on_time,
                    "p50": float(q[0]),
                    "p80": float(q[1]),
                    "p95": float(q[2]),
                    "mean": float(fin.mean()) if fin.size else np.nan,
                    "date_p50": day_date(cal, q[0]),
                    "date_p80": day_date(cal, q[1]),
                    "date_p95": day_date(cal, q[2]),
                    "deadline": project_rows[p]["deadline"],
                    "value": float(c.project_value[p]),
                    "expected_value": float(c.project_value[p] * p_success),
                }
            )
        projects = result_frame(rows, PROJECT_RESULT_SCHEMA)

        # Tasks (percentiles and sensitivity from the first kept_trials(...) trials).
        finish = self.kept_finish
        bounds = (self.kept_min, self.kept_max, self.kept_count)
        task_q = column_percentiles(finish, PERCENTILES, bounds) if finish.size and tasks else None
        if sensitivity and tasks:
            task_sensitivity = rank_sensitivity(self.kept_duration, self.proj_finish[: self.keep], c.inp.task_project)
        else:
            task_sensitivity = np.full(len(c.task_ids), np.nan)
        # Built a column at a time (a dict per task cost more than the rest), from lists: Polars
        # reading NumPy arrays imports numpy.ma, ~40 ms of a command's start-up.
        if tasks:  # a sweep reports projects only
            fixed = c.inp.task_fixed >= FIXED_DONE
            quantiles = task_q if task_q is not None else np.full((len(PERCENTILES), len(c.task_ids)), np.nan)
            columns = {
                "p_run": self.ran / trials,
                "p_success": self.succeeded / trials,
                "p50": quantiles[0],
                "p80": quantiles[1],
                "p95": quantiles[2],
                "criticality": np.where(fixed, 0.0, self.critical / trials),
                "sensitivity": np.where(fixed, 0.0, np.asarray(task_sensitivity, dtype=np.float64)),
            }
            task_frame = pl.DataFrame(
                {"id": c.task_ids, "project": c.tasks["project"], **{k: v.tolist() for k, v in columns.items()}},
                schema=TASK_RESULT_SCHEMA,
            )
        else:
            task_frame = result_frame([], TASK_RESULT_SCHEMA)

        # People (and hires): busy time over the time they were there, per trial, pooled.
        busy, available_time = self.busy.sum(axis=0), self.available.sum(axis=0)
        unit_ids = c.unit_ids
        person_ids = set(plan.people["id"].to_list()) | set(plan.hires["id"].to_list())
        people_rows = []
        for u, uid in enumerate(unit_ids):
            if uid not in person_ids:
                continue
            available = available_time[u]
            people_rows.append(
                {
                    "id": uid,
                    "utilization": busy[u] / available if available > 0 else 0.0,
                    "busy_days": busy[u] / trials,
                }
            )
        people = result_frame(people_rows, PEOPLE_RESULT_SCHEMA)
        return Forecast(
            plan_name=plan.name,
            trials=trials,
            seed=seed,
            priority=priority,
            modifiers=modifiers,
            projects=projects,
            tasks=task_frame,
            people=people,
            project_finish=self.proj_finish,
            start=plan.start,
        )


def column_percentiles(
    values: np.ndarray,
    percentiles: Sequence[float],
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """np.nanpercentile(values, percentiles, axis=0) (linear interpolation), vectorised over columns.

    Interpolated as a + (b - a) * (pos - lo) between the order statistics lo = floor(pos) and
    lo + 1 of each column's non-NaN values, pos = (count - 1) * q / 100 (NumPy's own two-sided
    formula can differ in the last bit). The order statistics are found in O(trials) per column
    without sorting or copying the columns (teamcast.ext.stats); a test holds them equal to a
    sort's. `bounds`: each column's minimum, maximum and count of non-NaN values, where the
    caller kept them (tally does), which saves a pass over the values.
    """
    return stats.column_percentiles(values, percentiles, bounds)


def percentiles_of(values: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """np.percentile(values, percentiles) (no NaN), to the last bit, without sorting: the order
    statistics percentiles_of_sorted reads (floor and ceiling of each position) are put in
    place by one np.partition, O(n) (a run's project finishes: a sort of 100,000 was ~5 ms)."""
    n = len(values)
    virtual = (n - 1) * np.true_divide(np.asarray(percentiles), 100)
    below = np.floor(virtual)
    lower = np.where(virtual >= n - 1, n - 1, below)
    upper = np.where(virtual >= n - 1, n - 1, below + 1)
    kth = sorted({int(k) for k in np.concatenate([lower, upper]).tolist()})
    return percentiles_of_sorted(np.partition(values, kth), percentiles)


def percentiles_of_sorted(ordered: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """np.percentile(values, percentiles) from np.sort(values) (no NaN), to the last bit.

    NumPy's linear method written out (its index, weight and two-sided interpolation), because
    np.percentile calls np.unique, whose first use imports numpy.ma: ~40 ms of every command's
    start-up. A test holds the two equal.
    """
    n = len(ordered)
    virtual = (n - 1) * np.true_divide(np.asarray(percentiles), 100)
    below = np.floor(virtual)
    gamma = virtual - below
    lower = np.where(virtual >= n - 1, n - 1, below).astype(np.intp)
    upper = np.where(virtual >= n - 1, n - 1, below + 1).astype(np.intp)
    a, b = ordered[lower], ordered[upper]
    step = b - a
    return np.where(gamma >= 0.5, b - step * (1 - gamma), a + step * gamma)


def rank_sensitivity(duration: np.ndarray, proj_finish: np.ndarray, task_project: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each task's duration with its project's finish.

    Over the first SENSITIVITY_TRIALS trials in which the project succeeded; a task that did
    not run in a trial counts as taking no time. Ties get average ranks, so a task of fixed
    length has no sensitivity. Each task's ranks come from one radix sort of its durations
    (teamcast.ext.stats); every rank, product and sum is a multiple of 1/4 far below 2**53, so
    the correlation is exact whatever order the sums run in (a test holds it equal to the
    straightforward computation from average ranks in trial order).
    """
    n_tasks = duration.shape[1]
    result = np.zeros(n_tasks)
    proj_finish = proj_finish[:SENSITIVITY_TRIALS]
    for p in range(proj_finish.shape[1]):
        ok = np.flatnonzero(~np.isnan(proj_finish[:, p]))
        tasks = np.flatnonzero(task_project == p)
        if len(ok) < 3 or not len(tasks):
            continue
        y = average_ranks(proj_finish[ok, p][:, None])[:, 0]
        y -= y.mean()
        sy = np.sqrt((y * y).mean())
        stats.rank_correlations(duration, ok, tasks, y, float(sy), result)
    return result


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of each column of a (n, k) array, ties given their average rank.

    The same numbers as scipy.stats.rankdata(values, axis=0) (average ranks are exact
    halves), without importing scipy.stats, which costs more than a small run itself.
    """
    n, k = values.shape
    if not n or not k:
        return np.zeros((n, k))
    cols = np.ascontiguousarray(values.T)  # one row per column: sorting along rows is contiguous
    # Any sort will do (not only a stable one): tied values all get the same average rank.
    order = np.argsort(cols, axis=1)
    ordered = np.take_along_axis(cols, order, axis=1)
    new_run = np.ones((k, n), dtype=bool)  # where a run of equal values starts, row by row
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new_run[:, 1:])
    ranked = np.empty((k, n))
    ranked[:] = np.arange(1.0, n + 1.0)  # rank = position + 1 in rows without ties
    tied = np.flatnonzero(~new_run.all(axis=1))
    if len(tied):
        flat = new_run[tied].ravel()
        run = np.cumsum(flat) - 1  # each position's run, numbered over all rows (every row starts one)
        bounds = np.append(np.flatnonzero(flat), flat.size)  # first position of each run, then the end
        row_start = np.repeat(np.arange(len(tied)) * n, n)
        # A run over sorted positions i..j (0-based) has average rank (i + j) / 2 + 1.
        ranked[tied] = (0.5 * (bounds[run] + bounds[run + 1] + 1) - row_start).reshape(len(tied), n)
    out = np.empty((k, n))
    np.put_along_axis(out, order, ranked, axis=1)  # back in trial order
    return out.T
