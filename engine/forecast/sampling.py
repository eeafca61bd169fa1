"""Sampling one block of trials through the estimator plugins: efforts, successes and hire arrivals.

Random streams belong to fixed blocks of BLOCK trials (block b draws from
SeedSequence(seed, spawn_key=(b,))), never to a chunk or a thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled
from teamcast.engine.forecast.frames import hire_frame
from teamcast.errors import SimulationError
from teamcast.ext.kernel import FIXED_DOING

BLOCK = 1024  # trials per random stream


def model_groups(compiled: Compiled, registry) -> list[tuple]:
    """(duration model, task indices, frame of those tasks) per model the plan uses, by name."""
    models = compiled.tasks["model"].to_list()
    groups = []
    for name in sorted(set(models)):
        idx = np.array([i for i, m in enumerate(models) if m == name], dtype=np.int64)
        # Rows by a list of ints: a NumPy index would make Polars import numpy.ma (~40 ms of start-up).
        # One model for every task (the usual case): the frame itself, not a gathered copy.
        rows = compiled.tasks if len(idx) == len(models) else compiled.tasks[idx.tolist()]
        groups.append((registry.duration_model(name), idx, rows))
    return groups


class Sampler:
    """Draws one block of trials: efforts, successes and hire arrivals, through the plugins."""

    def __init__(self, compiled: Compiled, registry, modifiers: Sequence[str]):
        self.c = compiled
        self.registry = registry
        self.groups = model_groups(compiled, registry)
        # Per success model the plan names (task key `success_model`, default bernoulli), by name.
        self.success_groups = named_groups(compiled.tasks, "success_model", registry.success_model, "tasks")
        self.modifiers = [(registry.sample_modifier(name), options) for name, options in map(parse_modifier, modifiers)]
        from teamcast.plugins.manager import check_modifier_options

        for mod, options in self.modifiers:
            check_modifier_options(mod, options)  # a typo is a usage error, not silently ignored
        self.doing = np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)
        self._doing_plan: list[tuple] | None = None
        self._doing_low = np.empty(0)
        self.hires = hire_frame(compiled.plan)
        # Per model of the time to hire (hire key `arrival_model`, default pert), by name.
        self.hire_groups = named_groups(self.hires, "model", registry.duration_model, "hires", "arrival_model")
        self.unit_hire = compiled.unit_hire
        self.n_tasks = len(compiled.task_ids)
        self._effort_blocks, self._success_blocks = self._builtin_blocks()
        self._certain: np.ndarray | None = None  # bernoulli's successes when no draw can change them
        if self._success_blocks is not None:
            p = self.success_groups[0][2]["p_success"].to_numpy().astype(np.float64)
            if ((p >= 1.0) | (p <= 0.0) | np.isnan(p)).all():
                self._certain = (p >= 1.0).astype(np.uint8)

    def _builtin_blocks(self) -> tuple:
        """The built-in models' multi-block samplers, where one of them covers every task: pert's
        for the efforts and bernoulli's for the successes (None otherwise)."""
        from teamcast.plugins import bernoulli, pert
        from teamcast.plugins.manager import is_builtin

        efforts = successes = None
        if len(self.groups) == 1 and len(self.groups[0][1]) == self.n_tasks:
            model, _, sub = self.groups[0]
            if model.sample is pert.sample and is_builtin(model):
                # What sampling a block would report (an estimate too large to sample), reported
                # now as the plugin's error; the multi-block sampler then cannot fail.
                self._checked_sample(model, sub, 0, np.random.default_rng(0))
                efforts = pert.sample_blocks
        if len(self.success_groups) == 1:
            model = self.success_groups[0][0]
            if model.sample is bernoulli.sample and is_builtin(model):
                successes = bernoulli.sample_blocks
        return efforts, successes

    def block(self, seed: int, b: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Block b of n trials: efforts (n, T), successes (n, T) 0/1 and hire arrivals (n, U)."""
        return self.blocks(seed, b, [n])

    def blocks(self, seed: int, first: int, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Blocks first, first + 1, ... of sizes[0], sizes[1], ... trials, in trial order: the
        arrays of block(seed, b, n) of each, one after another. Each block draws from its own
        generator in the order block() does (efforts, successes, hires, work in progress,
        modifiers); the built-in pert and bernoulli draw every block's values in one compiled
        pass into the chunk's arrays (no per-block arrays to concatenate)."""
        from teamcast.plugins.manager import checked_modify
        from teamcast.plugins.records import SampleContext

        rngs = [
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(first + i,))))
            for i in range(len(sizes))
        ]
        rows = np.cumsum([0, *sizes]).tolist()
        effort = self._efforts(rngs, sizes)
        success = self._successes(rngs, sizes)
        arrival = np.zeros((rows[-1], len(self.c.unit_ids)), dtype=np.float64)
        if self.hires.height:
            hired = self.unit_hire >= 0
            for i, (rng, n) in enumerate(zip(rngs, sizes, strict=True)):
                tth = np.empty((n, self.hires.height), dtype=np.float64)
                for model, idx, sub in self.hire_groups:
                    tth[:, idx] = self._checked_sample(model, sub, n, rng)
                arrival[rows[i] : rows[i + 1], hired] = tth[:, self.unit_hire[hired]]
        if len(self.doing):
            # Each block's uniforms from its own generator, then the remaining efforts of every
            # block in one go: the values are elementwise, and one model call a chunk costs less
            # than one a block.
            u = [rng.random((n, len(self.doing))) for rng, n in zip(rngs, sizes, strict=True)]
            effort[:, self.doing] = self._remaining(effort[:, self.doing], u[0] if len(u) == 1 else np.concatenate(u))
        for i, (rng, n) in enumerate(zip(rngs, sizes, strict=True)):
            part = effort[rows[i] : rows[i + 1]]  # a view: changed in place
            for mod, options in self.modifiers:
                ctx = SampleContext(
                    plan=self.c.plan,
                    tasks=self.c.tasks,
                    doer=self.c.task_doer,
                    first_trial=(first + i) * BLOCK,
                    n=n,
                    options=options,
                )
                part = checked_modify(mod, ctx, part, rng)
            if self.modifiers:
                effort[rows[i] : rows[i + 1]] = part
        return effort, success, arrival

    @staticmethod
    def _checked_sample(model, sub: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
        from teamcast.plugins.manager import checked_sample

        return checked_sample(model, sub, n, rng)

    def _efforts(self, rngs: list[np.random.Generator], sizes: Sequence[int]) -> np.ndarray:
        """Every block's efforts, in a writable array of the blocks' rows."""
        if self._effort_blocks is not None:  # the built-in pert for every task
            effort = np.empty((sum(sizes), self.n_tasks), dtype=np.float64)
            self._effort_blocks(self.groups[0][2], rngs, sizes, effort)
            return effort
        parts = []
        for rng, n in zip(rngs, sizes, strict=True):
            if len(self.groups) == 1 and len(self.groups[0][1]) == self.n_tasks:
                # One model for every task (the groups list tasks in index order): its block is the
                # efforts, without a copy into a block of all tasks.
                model, _, sub = self.groups[0]
                part = self._checked_sample(model, sub, n, rng)
            else:
                part = np.empty((n, self.n_tasks), dtype=np.float64)
                for model, idx, sub in self.groups:
                    part[:, idx] = self._checked_sample(model, sub, n, rng)
            parts.append(part)
        if len(parts) > 1:
            return np.concatenate(parts)
        effort = parts[0]
        if (len(self.doing) or self.modifiers) and not (effort.flags.writeable and effort.base is None):
            effort = effort.copy()  # changed in place: never a plugin's shared or read-only array
        return effort

    def _successes(self, rngs: list[np.random.Generator], sizes: Sequence[int]) -> np.ndarray:
        """Every block's successes, (rows, T) uint8 0/1."""
        from teamcast.plugins.manager import checked_success

        if self._success_blocks is not None:  # the built-in bernoulli for every task
            success = np.empty((sum(sizes), self.n_tasks), dtype=np.uint8)
            drawn_after = bool(self.hires.height or len(self.doing) or self.modifiers)
            # Every P(success) is 1 or 0 (most plans state none): a uniform u in [0, 1) decides
            # nothing, u < 1 always and u < 0 never, so the draws are skipped. A generator that
            # draws on is advanced past them instead: PCG64 draws one 64-bit value per uniform,
            # and advance() also clears its buffered 32-bit half, which is already clear after
            # pert's draws (64-bit only; another duration model may have left one: no skipping).
            if self._certain is None or (drawn_after and self._effort_blocks is None):
                self._success_blocks(self.success_groups[0][2], rngs, sizes, success)
                return success
            success[:] = self._certain
            if drawn_after:
                for rng, n in zip(rngs, sizes, strict=True):
                    bits = rng.bit_generator
                    assert isinstance(bits, np.random.PCG64)  # blocks() makes them so
                    bits.advance(n * self.n_tasks)
            return success
        parts = []
        for rng, n in zip(rngs, sizes, strict=True):
            if len(self.success_groups) == 1:  # one model for every task: its block, without a copy
                model, _, sub = self.success_groups[0]
                part = checked_success(model, sub, n, rng)
            else:
                part = np.empty((n, self.n_tasks), dtype=np.uint8)
                for model, idx, sub in self.success_groups:
                    part[:, idx] = checked_success(model, sub, n, rng)
            parts.append(part)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _prepare_remaining(self) -> list[tuple]:
        """Per model, the work in progress it samples: (columns in `doing`, model, rows, F(spent))."""
        from teamcast.plugins.manager import checked_values

        prepared = []
        spent = self.c.elapsed[self.doing]
        for model, idx, sub in self.groups:
            cols = np.flatnonzero(np.isin(self.doing, idx))
            if not len(cols):
                continue
            rows = sub[np.searchsorted(idx, self.doing[cols]).tolist()]
            f_spent = None
            if model.cdf is not None and model.quantile is not None:
                f_spent = checked_values(model, "cdf", rows, spent[cols][None, :])[0]
            prepared.append((cols, model, rows, f_spent))
        return prepared

    def _remaining(self, drawn: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Remaining effort of work in progress, given the effort already spent (u: a uniform per value).

        With a model that has cdf and quantile: D ~ F conditioned on D > spent, remaining =
        D - spent. Past the end of the estimate (F(spent) = 1), and for models without them,
        teamcast's rule: the remaining effort is as the task was at its start,
        D - low, drawn from the same distribution.
        """
        from teamcast.plugins.manager import checked_values

        if self._doing_plan is None:
            self._doing_plan = self._prepare_remaining()
            self._doing_low = np.nan_to_num(self.c.tasks["est_low"].to_numpy()[self.doing])
        spent = self.c.elapsed[self.doing]
        low = self._doing_low
        out = np.maximum(drawn - low, 0.0)  # the fallback, overwritten where conditioning applies
        for cols, model, rows, f_spent in self._doing_plan:
            if f_spent is None:
                d = drawn[:, cols]
                out[:, cols] = np.where(d > spent[cols], d - spent[cols], out[:, cols])
                continue
            live = f_spent < 1.0 - 1e-12
            if not live.any():
                continue
            q = f_spent + (1.0 - f_spent) * u[:, cols]
            d = checked_values(model, "quantile", rows, q)
            out[:, cols] = np.where(live, np.maximum(d - spent[cols], 0.0), out[:, cols])
        return out


def named_groups(rows: pl.DataFrame, column: str, lookup, table: str, key: str | None = None) -> list[tuple]:
    """(record, row indices, rows) per distinct name in `column`, by name; an unknown name is a
    PlanError at the first row that names it (`table[id].key`)."""
    from teamcast.errors import PlanError, PluginError, Problem

    names = rows[column].to_list()
    groups = []
    for name in sorted(set(names)):
        idx = np.array([i for i, m in enumerate(names) if m == name], dtype=np.int64)
        try:
            record = lookup(name)
        except PluginError as exc:
            where = f"{table}[{rows['id'][int(idx[0])]}].{key or column}"
            raise PlanError([Problem(where, str(exc))]) from None
        # The frame itself when one name covers every row; a NumPy index would import numpy.ma.
        groups.append((record, idx, rows if len(idx) == len(names) else rows[idx.tolist()]))
    return groups


def parse_modifier(spec: str) -> tuple[str, dict[str, str]]:
    """`name` or `name:key=value,key=value` -> (name, options)."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SimulationError(f"modifier {spec!r}: options are key=value pairs separated by commas")
        options[key.strip()] = value.strip()
    return name.strip(), options
