"""`teamcast sweep`: many scenarios of one plan, ranked, for people and for pipelines."""

from __future__ import annotations

import io
import math
import sys

import click

LARGE_SWEEP = 10_000  # scenarios; above this a note says what to expect


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--vary", "varies", multiple=True, metavar="KEY=V1,V2,...", help="An axis of the grid (repeatable).")
@click.option("--sweep-file", type=click.Path(dir_okay=False), help="A TOML file with a [vary] table for larger grids.")
@click.option("--trials", "-n", default=2_000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--executor", default="local", show_default=True, help="local, or dask://HOST:PORT for a Dask cluster.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1), help="Local worker processes.")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Keep the best K scenarios (needs --by).")
@click.option(
    "--by", default=None, help="Rank by [PROJECT.]METRIC, e.g. fraud.p80, on_time_value (summed over projects)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "parquet", "json"]), default="table", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), default=None)
@click.option(
    "--force", is_flag=True, help="Write --out even over an input or a workspace; run more --jobs than cores."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def sweep(plan_file, varies, sweep_file, trials, seed, executor, jobs, top, by, fmt, out, force, quiet):
    """Simulate every combination of the varied settings and compare them.

    Every scenario uses the same seed (common random numbers), so differences between
    scenarios come from the settings, not from noise. Keys: people.ROLE, hire.ROLE (arrival
    day or none), hire.ID (on/off), arrival.HIRE, capacity.PERSON, project.ID (on/off),
    strategy.CHALLENGE, model, priority, modifier.

    \b
    Examples:
      teamcast sweep plan.toml --vary hire.data_engineer=none,20,60 --vary priority=value,lft
      teamcast sweep plan.toml --vary people.ml_engineer=2,3,4 --top 3 --by fraud.p80
      teamcast sweep plan.toml --sweep-file grid.toml --executor dask://scheduler:8786 --format parquet --out s.parquet
    """
    from teamcast.engine.commands.simulate import cap_jobs, emit
    from teamcast.engine.forecast.sweep import parse_vary, rank, read_sweep_file
    from teamcast.engine.forecast.sweep import sweep as run
    from teamcast.engine.plan.io import check_output, json_text, load_plan
    from teamcast.engine.plan.text import csv_safe, for_terminal
    from teamcast.errors import TeamcastError, UsageError

    axes = [parse_vary(v) for v in varies]
    if sweep_file:
        axes += read_sweep_file(sweep_file)
    if (top is None) != (by is None) and by is None:
        raise UsageError("--top needs --by METRIC")
    if out:
        check_output(out, inputs=[plan_file, *([sweep_file] if sweep_file else [])], force=force)
    plan = load_plan(plan_file)
    jobs = cap_jobs(jobs, executor, force)
    scenarios = math.prod(len(axis.values) for axis in axes)
    if scenarios > LARGE_SWEEP:
        click.echo(
            f"note: {scenarios:,} scenarios x {trials:,} trials; results are written when all are done "
            "(narrow the grid or use --top/--by to keep the best)",
            err=True,
        )
    show = not quiet and sys.stderr.isatty()

    def progress(done, total):
        if show:
            click.echo(f"\rscenario {done}/{total}", err=True, nl=done == total)

    table = run(plan, axes, trials=trials, seed=seed, executor=executor, jobs=jobs, progress=progress)
    if by:
        table = rank(table, by, top or table["scenario"].n_unique())
    if fmt == "table":
        data = for_terminal(render_sweep(table, [a.key for a in axes]), keep_newlines=True).encode()
    elif fmt == "json":
        doc = {
            "plan": plan.name,
            "trials": trials,
            "seed": seed,
            "axes": [{"key": a.key, "values": list(a.values)} for a in axes],
            "rows": table.to_dicts(),
        }
        data = json_text(doc).encode()
    else:
        buf = io.BytesIO()
        csv_safe(table).write_csv(buf) if fmt == "csv" else table.write_parquet(buf)
        data = buf.getvalue()
    emit(data, out, inputs=[plan_file, *([sweep_file] if sweep_file else [])], force=force)
    lost = table.filter(table["error"].str.starts_with("worker lost"))["scenario"].n_unique()
    if lost:  # the rows say so too; a run that lost scenarios is not a success
        raise TeamcastError(
            f"{lost} scenario(s) were lost with their workers on every try; their rows say 'worker lost'",
            title="executor",
        )
    failed = table.filter(table["error"].is_not_null())["scenario"].n_unique()
    if failed:
        # A reported error never exits 0 (issue 12): the table is written, the exit status says it.
        raise TeamcastError(f"{failed} of {table['scenario'].n_unique()} scenario(s) failed; see their rows")


def render_sweep(table, keys) -> str:
    def pct(x):
        return "   -" if x is None or x != x else f"{100 * x:3.0f}%"

    header = f"  {'project':<22} {'P50':>6} {'P80':>6} {'P95':>6} {'P(ok)':>5} {'on time':>7} {'EV':>5} {'EV@dl':>5}"
    lines = []
    last = None
    for row in table.to_dicts():
        if row["scenario"] != last:
            last = row["scenario"]
            lines += ["", f"#{row['scenario']} {row['label']}"]
            if not row["error"]:
                lines.append(header)
        if row["error"]:
            lines.append(f"  failed: {row['error'].removeprefix('error: ')[:74]}")
            continue
        lines.append(
            f"  {row['project'][:22]:<22} {row['p50']:6.1f} {row['p80']:6.1f} {row['p95']:6.1f} "
            f"{pct(row['p_success']):>5} {pct(row['p_on_time']):>7} {row['expected_value']:5.1f} {row['on_time_value'] or 0:5.1f}"
        )
    lines.append("")
    lines.append("P50/P80/P95: finish if it succeeds, working days from the start; EV: importance x P(ok);")
    lines.append("EV@dl: importance x P(done and successful by the deadline).")
    return "\n".join(lines[1:]) + "\n"


commands = [sweep]
