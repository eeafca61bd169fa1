"""`teamcast optimise` (alias `optimize`): search priority orders for a better plan, honestly."""

from __future__ import annotations

import json
import sys

import click

FORMATS = ("table", "json", "csv")


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--objective",
    type=click.Choice(["on_time_value", "expected_value", "p_all_on_time", "makespan"]),
    default=None,
    help="What to maximise (makespan: minimise its P50). Default: on_time_value, or makespan"
    " when no project has a deadline (a PSPLIB file), since then no order changes the on-time value.",
)
@click.option(
    "--passes",
    default=200,
    show_default=True,
    type=click.IntRange(min=0),
    help="Candidates per search (regret-biased sampling, then local search).",
)
@click.option(
    "--trials", "-n", default=1000, show_default=True, type=click.IntRange(min=1), help="Sampled futures per candidate."
)
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option("--time-limit", type=click.FloatRange(min=0), default=None, help="Stop searching after S seconds.")
@click.option(
    "--deterministic",
    is_flag=True,
    help="One future: point estimates, every task succeeds, hires at their likely day (PSPLIB-style).",
)
@click.option(
    "--approaches", is_flag=True, help="Also search the order of trying each sequential challenge's approaches."
)
@click.option(
    "--hires",
    is_flag=True,
    help="Also search the order in which open hires are filled (read as a pipeline: see --hiring-slots).",
)
@click.option(
    "--hiring-slots",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="With --hires: hiring searches run at a time; the next hire's search starts when one is filled.",
)
@click.option(
    "--strategy",
    is_flag=True,
    help="Also search parallel vs sequential for each challenge with alternative approaches.",
)
@click.option(
    "--scheme",
    type=click.Choice(["serial", "parallel"]),
    default=None,
    help="With --deterministic: schedule candidates serially (default when the plan fits) or by the kernel's dispatch.",
)
@click.option(
    "--race/--no-race",
    default=True,
    show_default=True,
    help="Race each candidate against the best on growing slices of the futures and drop it as soon as it"
    " cannot plausibly win (docs/optimise.md); --no-race scores every candidate on every trial.",
)
@click.option("--priority", default=None, help="The default rule the baseline uses (default: value).")
@click.option(
    "--search",
    "searches",
    multiple=True,
    help="Search to run, in order (repeatable; default: rbrs then local). Plugins can add searches.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file instead of stdout.")
@click.option("--save", is_flag=True, help="Store the best order as the plan's manual priority (a .db workspace).")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when stderr is a terminal).")
def optimise(
    plan_file,
    objective,
    passes,
    trials,
    seed,
    time_limit,
    deterministic,
    approaches,
    hires,
    hiring_slots,
    strategy,
    scheme,
    race,
    priority,
    searches,
    fmt,
    out,
    save,
    progress,
):
    """Search task priority orders for one that does better than the default rule.

    Every candidate is scored on the same sampled futures (common random numbers); the
    report gives the default order's objective (baseline), the best found, a 95 % interval
    of their difference, and both again on fresh seeds (out of sample). An improvement
    within the noise is reported as none. Ctrl-C stops the search and reports the best so far.

    \b
    Examples:
      teamcast optimise plan.toml
      teamcast optimise team.db --passes 500 --time-limit 60 --save
      teamcast optimise j301_1.sm --deterministic --objective makespan --passes 1000 --format csv
    """
    from teamcast.engine.forecast.optimise import DEFAULT_SEARCHES
    from teamcast.engine.forecast.optimise import optimise as run
    from teamcast.engine.forecast.optimise_report import render_result as render
    from teamcast.engine.plan.io import load_plan
    from teamcast.errors import UsageError

    if save and not plan_file.endswith(".db"):
        raise UsageError("--save needs a workspace (.db); import the plan first with `teamcast import`")
    plan = load_plan(plan_file)
    if objective is None:
        objective = "on_time_value" if plan.projects["deadline"].is_not_null().any() else "makespan"
        if objective == "makespan":
            click.echo("objective: makespan (no project has a deadline; --objective chooses another)", err=True)
    show = progress if progress is not None else sys.stderr.isatty()
    result = run(
        plan,
        objective=objective,
        passes=passes,
        trials=trials,
        seed=seed,
        deterministic=deterministic,
        priority=priority,
        approaches=approaches,
        hires=hires,
        hiring_slots=hiring_slots,
        strategy=strategy,
        scheme=scheme,
        race=race,
        searches=searches or DEFAULT_SEARCHES,
        time_limit=time_limit,
        progress=_progress if show else None,
    )
    if show:
        click.echo("", err=True)
    if save:
        _save(plan_file, result)
    if fmt == "json":
        data = json.dumps(result.to_json(), indent=2) + "\n"
    elif fmt == "csv":
        from teamcast.engine.forecast.schedule import deterministic_schedule

        table = result.schedule  # the serial scheme's own schedule; else the kernel's dispatch of the order
        if table is None:
            table = deterministic_schedule(
                plan, priority=result.priority, order=result.order_index, approaches=result.approaches
            )
        data = table.with_columns(who=table["who"].list.join(" ")).write_csv()
    else:
        data = render(result)
    if out:
        from teamcast.engine.plan.io import write_atomic

        write_atomic(out, data.encode())
    else:
        click.echo(data, nl=False)


def _progress(done: int, total: int, best: float) -> None:
    click.echo(f"\roptimising: {done:,}/{total:,} candidates decided, best {best:.4g}", err=True, nl=False)


def _save(plan_file: str, result) -> None:
    from teamcast.engine.plan.workspace import Workspace

    if not result.improved:
        click.echo(f"not saved: {result.verdict}", err=True)
        return
    with Workspace.open(plan_file) as ws:
        version = ws.reorder_tasks(
            result.order, ws.plan_version(), approaches=result.approaches, strategies=result.strategies or None
        )
    click.echo(
        f"saved the best order as the plan's task order (plan version {version}); "
        "`teamcast simulate --priority manual` uses it",
        err=True,
    )
    if result.dispatched_best is not None and result.dispatched_best != result.in_sample.best:
        click.echo(
            f"note: `simulate` dispatches it in parallel (nobody waits), which gives {result.dispatched_best:g} "
            f"where the serial schedule gives {result.in_sample.best:g}",
            err=True,
        )
    if result.strategies:
        click.echo(
            f"saved the challenges' strategies: {', '.join(f'{c} {s}' for c, s in result.strategies.items())}", err=True
        )
    if result.hire_order is not None and result.changes.get("hires_reordered"):
        click.echo(
            f"not saved (the plan has no hire order): fill the hires as {' > '.join(result.hire_order)}", err=True
        )


optimize = click.Command(
    "optimize",
    params=optimise.params,
    callback=optimise.callback,
    help=optimise.help,
    short_help="Alias of optimise.",
)

commands = [optimise, optimize]
