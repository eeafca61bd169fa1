"""Scenario sweeps: vary a plan along named axes, simulate every combination, collect one frame.

Every scenario runs with the same seed, so every scenario draws the same random streams per
block of trials (common random numbers): a variation that changes nothing gives identical
numbers, and differences between scenarios come from the variation, not from noise.

Variation keys (`--vary KEY=V1,V2,...`):

| key | values | effect |
|---|---|---|
| `people.<role>` | integers | that many people of the role (extra ones copy the role's first person; surplus ones are dropped from the end) |
| `hire.<role>` | days or `none` | one extra hire of the role arriving on that working day (full speed) |
| `hire.<id>` | `on` / `off` | keep or drop an open position |
| `arrival.<hire id>` | days | the hire arrives exactly then |
| `capacity.<person>` | (0, 1] | a person's share of time on planned work |
| `project.<id>` | `on` / `off` | include the project or drop it (and its challenges) |
| `strategy.<challenge>` | `parallel` / `sequential` | how the challenge tries its approaches |
| `model` | model names | every task sampled with this duration model |
| `priority` | rule names | the priority rule |
| `modifier` | modifier specs or `none` | sample modifiers, `+`-separated (`ebs+stall`) |
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import polars as pl

from teamcast.engine.forecast.compile import Compiled
from teamcast.engine.forecast.executors import Lost, make_executor
from teamcast.engine.forecast.sweep_delta import SweepBase, shared_base
from teamcast.engine.plan.model import Plan, frame
from teamcast.errors import PlanError, TeamcastError, UsageError
from teamcast.interrupts import stop_if_ctrl_c

ON_OFF = {"on": True, "off": False, "yes": True, "no": False, "true": True, "false": False}


@dataclass(frozen=True)
class Axis:
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    """One point of the grid: the value of each axis, in axis order."""

    index: int
    settings: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.settings) or "baseline"


def parse_vary(spec: str) -> Axis:
    key, sep, values = spec.partition("=")
    items = tuple(v.strip() for v in values.split(",") if v.strip())
    if not sep or not key.strip() or not items:
        raise UsageError(f"--vary {spec!r}: expected KEY=V1,V2,...")
    return Axis(key.strip(), items)


def read_sweep_file(path) -> list[Axis]:
    """A sweep file: TOML with `[vary]` mapping each key to a list of values."""
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TeamcastError(f"{path}: {exc}", title="sweep file") from exc
    vary = data.get("vary")
    if not isinstance(vary, dict) or not vary:
        raise TeamcastError(f"{path}: expected a [vary] table of KEY = [values]", title="sweep file")
    axes = []
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise TeamcastError(f"{path}: vary.{key}: expected a non-empty list of values", title="sweep file")
        axes.append(Axis(key, tuple(str(v) for v in values)))
    return axes


def grid(axes: Sequence[Axis]) -> list[Scenario]:
    return list(iter_grid(axes))


def iter_grid(axes: Sequence[Axis]) -> Iterator[Scenario]:
    """The scenarios of the grid in order, one at a time (a grid of millions is never held whole)."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise UsageError("each --vary key may appear once")
    combos = itertools.product(*(a.values for a in axes)) if axes else iter([()])
    return (Scenario(i, tuple(zip(keys, combo, strict=True))) for i, combo in enumerate(combos))


def grid_size(axes: Sequence[Axis]) -> int:
    return math.prod(len(a.values) for a in axes)


# --- applying a scenario -----------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    priority: str | None = None
    modifiers: tuple[str, ...] = ()


def apply_scenario(plan: Plan, scenario: Scenario) -> tuple[Plan, RunOptions]:
    """The plan and run options of one scenario; raises PlanError when the result is invalid."""
    plan, options = vary(plan, scenario)
    from teamcast.engine.plan.validate import validate_plan

    errors = [p for p in validate_plan(plan) if p.severity == "error"]
    if errors:
        raise PlanError(errors)
    return plan, options


def vary(plan: Plan, scenario: Scenario) -> tuple[Plan, RunOptions]:
    """The plan and run options of one scenario, not yet validated."""
    options = RunOptions()
    for key, value in scenario.settings:
        plan, options = _apply(plan, options, key, value)
    return plan, options


def changed_keys(scenario: Scenario) -> list[str]:
    """The keys of a scenario's settings, less those that keep the plan as it is (project.ID=on)."""
    return [k for k, v in scenario.settings if not (k.startswith("project.") and ON_OFF.get(v.lower()) is True)]


def _apply(plan: Plan, options: RunOptions, key: str, value: str) -> tuple[Plan, RunOptions]:
    head, _, rest = key.partition(".")
    if head == "priority" and not rest:
        return plan, RunOptions(value, options.modifiers)
    if head == "modifier" and not rest:
        mods = () if value == "none" else tuple(v for v in value.split("+") if v)
        return plan, RunOptions(options.priority, mods)
    if head == "model" and not rest:
        tasks = plan.tasks.with_columns(model=pl.lit(value))
        return plan.replace(tasks=tasks, plan=plan.plan.with_columns(default_model=pl.lit(value))), options
    if not rest:
        raise UsageError(f"unknown sweep key {key!r}; see `teamcast sweep --help`")
    handler = _HANDLERS.get(head)
    if handler is None:
        raise UsageError(f"unknown sweep key {key!r}; see `teamcast sweep --help`")
    return handler(plan, rest, value), options


def _number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{key}={value}: expected a number") from None


def _switch(key: str, value: str) -> bool:
    if value.lower() not in ON_OFF:
        raise UsageError(f"{key}={value}: expected on or off")
    return ON_OFF[value.lower()]


def _people(plan: Plan, role: str, value: str) -> Plan:
    want = int(_number(f"people.{role}", value))
    people = plan.people
    of_role = people.filter(pl.col("role") == role)
    if want < of_role.height:
        drop = of_role["id"].to_list()[want:]

        def forget(column: str) -> pl.Expr:  # who they led or reported to no longer points at them
            return pl.when(pl.col(column).is_in(drop)).then(None).otherwise(pl.col(column)).alias(column)

        return plan.replace(
            people=people.filter(~pl.col("id").is_in(drop)).with_columns(forget("reports_to")),
            teams=plan.teams.with_columns(forget("lead")),
            history=plan.history.with_columns(forget("person")),
        )
    if want > of_role.height:
        if of_role.height == 0:
            raise UsageError(f"people.{role}: the plan has no {role} to copy")
        template = of_role.row(0, named=True)
        extra = [
            {**template, "id": f"extra-{role}-{k}", "name": f"extra {role} {k}", "capacity": 1.0}
            for k in range(1, want - of_role.height + 1)
        ]
        return plan.replace(people=pl.concat([people, frame("people", extra)]))
    return plan


def _hire(plan: Plan, name: str, value: str) -> Plan:
    hires = plan.hires
    if name in hires["id"].to_list() or value.lower() in ON_OFF:
        if name not in hires["id"].to_list():
            raise UsageError(f"hire.{name}: no open hire {name!r}")
        keep = _switch(f"hire.{name}", value)
        return plan if keep else plan.replace(hires=hires.filter(pl.col("id") != name))
    if value == "none":
        return plan
    day = _number(f"hire.{name}", value)
    teams = plan.teams["id"].to_list()
    row = {
        "id": f"extra-hire-{name}",
        "name": f"extra {name}",
        "role": name,
        "team": teams[0] if teams else None,
        "tth_low": day,
        "tth_likely": day,
        "tth_high": day,
    }
    return plan.replace(hires=pl.concat([hires, frame("hires", [row])]))


def _arrival(plan: Plan, hire: str, value: str) -> Plan:
    day = _number(f"arrival.{hire}", value)
    if hire not in plan.hires["id"].to_list():
        raise UsageError(f"arrival.{hire}: no open hire {hire!r}")
    hires = plan.hires.with_columns(
        [
            pl.when(pl.col("id") == hire).then(pl.lit(day)).otherwise(pl.col(c)).alias(c)
            for c in ("tth_low", "tth_likely", "tth_high")
        ]
    )
    return plan.replace(hires=hires)


def _capacity(plan: Plan, person: str, value: str) -> Plan:
    cap = _number(f"capacity.{person}", value)
    if person not in plan.people["id"].to_list():
        raise UsageError(f"capacity.{person}: no person {person!r}")
    people = plan.people.with_columns(
        capacity=pl.when(pl.col("id") == person).then(pl.lit(cap)).otherwise(pl.col("capacity"))
    )
    return plan.replace(people=people)


def _project(plan: Plan, project: str, value: str) -> Plan:
    if project not in plan.projects["id"].to_list():
        raise UsageError(f"project.{project}: no project {project!r}")
    if _switch(f"project.{project}", value):
        return plan
    return plan.replace(
        projects=plan.projects.filter(pl.col("id") != project),
        tasks=plan.tasks.filter(pl.col("project") != project),
        challenges=plan.challenges.filter(pl.col("project") != project),
    )


def _strategy(plan: Plan, challenge: str, value: str) -> Plan:
    if challenge not in plan.challenges["id"].to_list():
        raise UsageError(f"strategy.{challenge}: no challenge {challenge!r}")
    if value not in ("parallel", "sequential"):
        raise UsageError(f"strategy.{challenge}={value}: expected parallel or sequential")
    challenges = plan.challenges.with_columns(
        strategy=pl.when(pl.col("id") == challenge).then(pl.lit(value)).otherwise(pl.col("strategy"))
    )
    return plan.replace(challenges=challenges)


_HANDLERS: dict[str, Callable[[Plan, str, str], Plan]] = {
    "people": _people,
    "hire": _hire,
    "arrival": _arrival,
    "capacity": _capacity,
    "project": _project,
    "strategy": _strategy,
}


# --- running -------------------------------------------------------------------------------------

RANK_PRUNE = 500  # scenarios gathered before ranking prunes to the best --top again
RESULT_COLUMNS = ["p50", "p80", "p95", "p_success", "p_on_time", "expected_value", "on_time_value"]


def run_scenario(base: Plan | SweepBase, scenario: Scenario, trials: int, seed: int) -> list[dict]:
    """Simulate one scenario; one row per project, or one error row. Never raises for bad data.

    With a SweepBase, the scenario is a delta of the plan compiled once (sweep_delta); with a
    plan, it is validated and compiled whole. Both give the same numbers.
    """
    from teamcast.engine.forecast.simulate import simulate

    row = {"scenario": scenario.index, "label": scenario.label, **{k: v for k, v in scenario.settings}}
    try:
        if isinstance(base, SweepBase):
            base = shared_base(base)
            varied, options = vary(base.plan, scenario)
            compiled: Plan | Compiled = base.prepare(varied, changed_keys(scenario))
        else:
            compiled, options = apply_scenario(base, scenario)
        forecast = simulate(
            compiled,
            trials=trials,
            seed=seed,
            priority=options.priority,
            modifiers=options.modifiers,
            sensitivity=False,
            tasks=False,
        )
    except TeamcastError as exc:
        return [{**row, "project": None, "error": " / ".join(exc.lines())[:500]}]
    utilization = float(cast(float, forecast.people["utilization"].mean())) if forecast.people.height else None
    rows = []
    for project in forecast.projects.to_dicts():
        p_on_time = project["p_on_time"]
        on_time_value = project["value"] * p_on_time if p_on_time == p_on_time else None
        values = {c: project[c] for c in RESULT_COLUMNS if c != "on_time_value"}
        rows.append(
            {
                **row,
                "project": project["id"],
                **values,
                "on_time_value": on_time_value,
                "utilization": utilization,
                "error": None,
            }
        )
    return rows


def sweep(
    plan: Plan,
    axes: Sequence[Axis],
    *,
    trials: int = 2_000,
    seed: int = 0,
    executor: str = "local",
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pl.DataFrame:
    """Simulate every scenario of the grid; one row per scenario and project (or one error row)."""
    rows = iter_sweep(plan, axes, trials=trials, seed=seed, executor=executor, jobs=jobs, progress=progress)
    return to_frame((row for scenario_rows in rows for row in scenario_rows), [a.key for a in axes])


def iter_sweep(
    plan: Plan,
    axes: Sequence[Axis],
    *,
    trials: int = 2_000,
    seed: int = 0,
    executor: str = "local",
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[list[dict]]:
    """Each scenario's rows, in scenario order, as soon as it and those before it are done.

    Only a bounded window of scenarios is in flight or waiting for an earlier one, so memory
    does not grow with the grid: a caller that writes each scenario's rows as they come keeps
    what finished if the run is stopped. The plan is validated and compiled once (SweepBase).
    """
    for axis in axes:  # bad keys are usage errors before anything runs (each value checked once)
        for value in axis.values:
            _check_key(plan, axis.key, value)
    scenarios = iter_grid(axes)
    base = SweepBase(plan)
    calls = ((s, trials, seed) for s in scenarios)
    with make_executor(executor, jobs) as ex:
        results = ex.imap_tolerant(run_scenario, base, calls, grid_size(axes), progress)
        for (scenario, *_), result in results:
            # A Ctrl-C that an extension swallowed, or that came out of a scenario as its error
            # row, still stops the sweep (only a command records Ctrl-C: see teamcast.interrupts).
            stop_if_ctrl_c()
            yield _lost(scenario, result.why) if isinstance(result, Lost) else result


def _lost(scenario: Scenario, why: str) -> list[dict]:
    return [
        {
            "scenario": scenario.index,
            "label": scenario.label,
            **dict(scenario.settings),
            "project": None,
            "error": f"worker lost: {why}",
        }
    ]


def _check_key(plan: Plan, key: str, value: str) -> None:
    try:
        _apply(plan, RunOptions(), key, value)
    except UsageError:
        raise
    except Exception:  # invalid results are the scenario's own error, reported in its row
        pass


def to_frame(rows: Iterable[dict], keys: Sequence[str]) -> pl.DataFrame:
    schema = {"scenario": pl.Int64, "label": pl.String, **{k: pl.String for k in keys}, "project": pl.String}
    schema.update({c: pl.Float64 for c in RESULT_COLUMNS})
    schema.update({"utilization": pl.Float64, "error": pl.String})
    rows = list(rows)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")


def check_by(by: str) -> tuple[str, str]:
    """(project or "", metric) of `--by [PROJECT.]METRIC`; a usage error for an unknown metric."""
    project, _, column = by.rpartition(".")
    if column not in RESULT_COLUMNS + ["utilization"]:
        raise UsageError(f"--by {by}: expected [PROJECT.]METRIC with METRIC one of {', '.join(RESULT_COLUMNS)}")
    return project, column


def rank_as_they_come(results: Iterable[list[dict]], keys: Sequence[str], by: str, top: int | None) -> pl.DataFrame:
    """`rank` over every scenario's rows, keeping only the best `top` scenarios (and the last
    few hundred) in memory: ranking the best of a part together with the rest gives the same
    best as ranking everything, since a scenario's score depends on its own rows only."""
    project, _ = check_by(by)
    kept: list[dict] = []
    since = 0
    limit = max(RANK_PRUNE, 2 * (top or 0))
    for rows in results:
        kept += rows
        since += 1
        if top is not None and since >= limit:
            table = to_frame(kept, keys)
            ok = table.filter(pl.col("error").is_null())
            if not project or project in ok["project"].to_list():  # else rank would refuse: keep all
                kept, since = rank(table, by, top).to_dicts(), 0
    table = to_frame(kept, keys)
    return rank(table, by, top or table["scenario"].n_unique())


def rank(table: pl.DataFrame, by: str, top: int) -> pl.DataFrame:
    """The `top` scenarios by a metric: `<project>.<column>` or a column summed over projects.

    Dates (p50/p80/p95) rank ascending, probabilities and value descending.
    """
    project, column = check_by(by)
    ok = table.filter(pl.col("error").is_null())
    if project:
        if project not in ok["project"].unique().to_list():
            raise UsageError(f"--by {by}: no project {project!r} in the results")
        scores = ok.filter(pl.col("project") == project).select("scenario", pl.col(column).alias("score"))
    else:
        agg = pl.col(column).mean() if column in ("p50", "p80", "p95", "utilization") else pl.col(column).sum()
        scores = ok.group_by("scenario").agg(agg.alias("score"))
    descending = column not in ("p50", "p80", "p95")
    best = scores.sort(["score", "scenario"], descending=[descending, False], nulls_last=True).head(top)
    order = {s: i for i, s in enumerate(best["scenario"].to_list())}
    return (
        table.filter(pl.col("scenario").is_in(list(order)))
        .with_columns(pl.col("scenario").replace_strict(order, return_dtype=pl.Int64).alias("_rank"))
        .sort(["_rank", "project"], maintain_order=True)
        .drop("_rank")
    )
