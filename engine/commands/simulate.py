"""`teamcast simulate` and `teamcast schedule`: the forecast and one schedule, for people and for pipelines."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence

import click

from teamcast.engine.commands.startup import quick_start, started
from teamcast.engine.commands.terminal import echo

FORMATS = ("table", "json", "csv", "parquet")


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--trials",
    "-n",
    default=10_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Monte Carlo trials (at most 10,000,000).",
)
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option(
    "--priority",
    default=None,
    help="Priority rule (default: value = likelihood x importance, highest first, teamcast's rule; "
    "risk-first de-risks early).",
)
@click.option("--modifier", "modifiers", multiple=True, help="Sample modifier to apply (repeatable), e.g. stall.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(min=1), help="Kernel threads.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--level",
    type=click.Choice(["projects", "tasks", "people"]),
    default="projects",
    show_default=True,
    help="Which table csv/parquet output carries.",
)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write to a file instead of stdout.")
@click.option(
    "--force", is_flag=True, help="Write --out even over an input or a workspace; run more --jobs than cores."
)
@click.option(
    "--fail-if",
    "fail_if",
    multiple=True,
    metavar="EXPR",
    help="Exit 3 if EXPR holds, e.g. 'fraud.p_on_time<0.5' (repeatable; see docs/cli.md).",
)
@click.option("--record", is_flag=True, help="Record this forecast as a snapshot in the workspace (a .db plan).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option(
    "--executor",
    default=None,
    help="Split the trials over local processes (local) or a Dask cluster (dask://HOST:PORT).",
)
@click.option(
    "--jobs",
    "-j",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes for --executor local.",
)
@quick_start
def simulate(
    plan_file,
    trials,
    seed,
    priority,
    modifiers,
    threads,
    fmt,
    level,
    out,
    force,
    fail_if,
    record,
    quiet,
    executor,
    jobs,
):
    """Forecast a plan: when each project lands, and how likely it succeeds.

    \b
    Examples:
      teamcast simulate plan.toml
      teamcast simulate plan.toml --trials 50000 --seed 7 --format json --out forecast.json
      teamcast simulate team.db --format csv --level tasks
      teamcast simulate team.db --record --quiet --fail-if "fraud.p_on_time<0.5"   # a CI gate
    """
    from teamcast.engine.forecast.simulate import simulate as run
    from teamcast.engine.plan.io import check_output, json_text, load_plan
    from teamcast.engine.plan.text import csv_safe, for_terminal
    from teamcast.errors import UsageError

    gates = []
    if fail_if:  # gates, and the JSON form they read, cost a plain table run nothing
        from teamcast.engine.forecast.gates import check_gates, evaluate_gates, parse_gate

        gates = [parse_gate(expr) for expr in fail_if]
    jobs = cap_jobs(jobs, executor, force)
    if out:
        check_output(out, inputs=[plan_file], force=force)  # refuse before minutes of simulation
    if record and not plan_file.endswith(".db"):
        raise UsageError("--record needs a workspace (.db); import the plan first with `teamcast import`")
    plan = load_plan(plan_file)
    started()  # imports and plan done: the collector back on for the run (engine/commands/startup.py)
    forecast = run(
        plan,
        trials=trials,
        seed=seed,
        priority=priority,
        modifiers=modifiers,
        threads=threads,
        progress=_progress(quiet),
        executor=executor,
        jobs=jobs,
    )
    result = forecast.to_json() if gates or fmt == "json" else {}
    if gates:
        evaluate_gates(gates, result)  # unknown ids are usage errors before anything is written
    if record:
        from teamcast.engine.forecast.snapshots import record as record_snapshot

        snapshot = record_snapshot(plan_file, forecast)
        if not quiet:
            echo(f"recorded forecast snapshot {snapshot} in {plan_file}", err=True)
    if fmt == "table":
        # Sparklines only for a person at a terminal: files and pipes keep the plain table.
        from teamcast.engine.plan.calendar import Calendar

        calendar = Calendar(plan.start, plan.holidays) if out is None and sys.stdout.isatty() else None
        data = for_terminal(render_forecast(forecast, sparklines=calendar), keep_newlines=True).encode()
    elif fmt == "json":
        data = json_text(result).encode()
    else:
        table = getattr(forecast, level)
        buf = io.BytesIO()
        if fmt == "csv":
            csv_safe(table).write_csv(buf)
        else:
            if out is None and sys.stdout.isatty():
                raise click.UsageError("parquet is binary: use --out FILE or redirect stdout")
            table.write_parquet(buf)
        data = buf.getvalue()
    emit(data, out, inputs=[plan_file], force=force)
    if gates:
        check_gates(gates, result)


MAX_TRIALS = 10_000_000  # beyond this a run needs tens of GB; the bound is in --help and the error


def cores() -> int:
    """The cores this process may run on."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cap_jobs(jobs: int, executor: str | None, force: bool) -> int:
    """--jobs, at most the machine's cores for local processes unless --force (more only thrash)."""
    available = cores()
    if jobs > available and not force and (executor or "local") == "local":
        echo(f"note: --jobs {jobs} capped at {available}, the cores here (--force runs {jobs} anyway)", err=True)
        return available
    return jobs


def _progress(quiet: bool):
    """Progress on stderr, only for a person at a terminal."""
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\rsimulating: {done:,}/{total:,} trials", err=True, nl=done == total)

    return show


def emit(data: bytes, out: str | None, *, inputs: Sequence[str] = (), force: bool = False) -> None:
    """`data` to stdout, or to the file `out`: checked (never an input or a workspace unless
    `force`) and written atomically."""
    if out:
        from teamcast.engine.plan.io import write_output

        write_output(out, data, inputs=inputs, force=force)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _pct(x) -> str:
    return "   -" if x is None or x != x else f"{100 * x:3.0f}%"


SPARK = " ▁▂▃▄▅▆▇█"


def completion_sparklines(forecast, calendar, width: int = 40) -> list[str]:
    """Per project, where its finish dates fall among all trials, on one date axis shared by every project."""
    import numpy as np

    finish = forecast.project_finish
    done = finish[np.isfinite(finish)]
    if done.size == 0:
        return []
    lo, hi = float(done.min()), float(done.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1, width + 1)
    first, last = calendar.finish_date(lo).isoformat(), calendar.finish_date(hi).isoformat()
    lines = ["", f"Completion dates, all trials (failed ones left out), {first} to {last}:"]
    for column, row in enumerate(forecast.projects.to_dicts()):
        counts, _ = np.histogram(finish[:, column][np.isfinite(finish[:, column])], bins=edges)
        top = counts.max() if counts.size and counts.max() else 1
        spark = "".join(SPARK[int(np.ceil(c / top * (len(SPARK) - 1)))] for c in counts)
        lines.append(f"  {(row['name'] or row['id'])[:22]:<22} {spark}")
    return lines


def render_forecast(forecast, width: int = 80, *, sparklines=None) -> str:
    """The forecast as a table for an 80-column terminal; with `sparklines` (the plan's Calendar), each
    project's completion dates as a sparkline too."""
    from teamcast.engine.plan.text import for_terminal

    lines = [
        f"{for_terminal(str(forecast.plan_name))}: {forecast.trials:,} trials, seed {forecast.seed}, priority {forecast.priority}"
        + (f", modifiers {', '.join(forecast.modifiers)}" if forecast.modifiers else ""),
        "",
        f"{'':<22} {'':>5} {'':>7}  finish date, if it succeeds",
        f"{'project':<22} {'P(ok)':>5} {'on time':>7}  {'P50':<10} {'P80':<10} {'P95':<10} {'value':>5}",
    ]
    for row in forecast.projects.to_dicts():
        dates = [row[f"date_p{q}"].isoformat() if row[f"date_p{q}"] else "-" for q in (50, 80, 95)]
        lines.append(
            f"{for_terminal(row['name'] or row['id'])[:22]:<22} {_pct(row['p_success']):>5} {_pct(row['p_on_time']):>7}  "
            f"{dates[0]:<10} {dates[1]:<10} {dates[2]:<10} {row['expected_value']:5.1f}"
        )
    lines.append("")
    lines.append("P(ok): project succeeds; on time: done and successful by its deadline (failures count as late);")
    lines.append("P50/P80/P95: finish dates over the futures in which it succeeds; value: importance x P(ok).")
    if sparklines:
        lines += completion_sparklines(forecast, sparklines)
    tasks = forecast.tasks.filter(forecast.tasks["criticality"] > 0).sort("criticality", descending=True).head(5)
    if tasks.height:
        lines += ["", "Most critical tasks (share of trials on the chain that set their project's finish):"]
        for row in tasks.to_dicts():
            lines.append(f"  {row['id'][:40]:<40} {_pct(row['criticality'])}  P80 day {row['p80']:.1f}")
    if forecast.reevaluated is not None and forecast.reevaluated.height:
        lines += ["", "Work in progress (effort spent so far, days of work; P(success) given it):"]
        for row in forecast.reevaluated.to_dicts():
            past = "  past its high estimate: re-estimate it" if row.get("past_estimate") else ""
            lines.append(
                f"  {row['id'][:40]:<40} {row['spent_days']:5.1f}d spent  "
                f"{_pct(row['p_stated'])} -> {_pct(row['p_updated'])}{past}"
            )
    people = forecast.people.sort("utilization", descending=True)
    if people.height:
        lines += ["", "Utilization:"]
        cells = [f"{row['id'][:12]:<12} {_pct(row['utilization'])}" for row in people.to_dicts()]
        for i in range(0, len(cells), 4):
            lines.append("  " + "   ".join(cells[i : i + 4]))
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--deterministic/--sampled",
    default=True,
    show_default=True,
    help="Point estimates, everything succeeds (the only mode for now).",
)
@click.option("--priority", default="value", show_default=True, help="Priority rule, e.g. value, lft, manual.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None)
@click.option("--force", is_flag=True, help="Write --out even over an input or a workspace file.")
def schedule(plan_file, deterministic, priority, fmt, out, force):
    """Print one schedule: each task's start, finish and who does it.

    \b
    Examples:
      teamcast schedule plan.toml
      teamcast schedule j301_1.sm --priority lft --format csv --out schedule.csv
    """
    from teamcast.engine.forecast.schedule import deterministic_schedule
    from teamcast.engine.plan.io import check_output, load_plan
    from teamcast.engine.plan.text import csv_safe, for_terminal

    if not deterministic:
        raise click.UsageError(
            "only --deterministic schedules are available; use `teamcast simulate` for distributions"
        )
    if out:
        check_output(out, inputs=[plan_file], force=force)
    table = deterministic_schedule(load_plan(plan_file), priority=priority)
    if fmt == "json":
        data = (
            json.dumps(
                table.with_columns(table["start_date"].cast(str), table["finish_date"].cast(str)).to_dicts(), indent=2
            )
            + "\n"
        )
    elif fmt == "csv":
        data = csv_safe(table.with_columns(who=table["who"].list.join(" "))).write_csv()
    else:
        lines = [f"{'task':<28} {'status':<11} {'start':>7} {'finish':>7}  {'finish date':<11} who"]
        for row in table.to_dicts():
            date = row["finish_date"].isoformat() if row["finish_date"] else "-"
            lines.append(
                f"{row['task'][:28]:<28} {row['status']:<11} {row['start']:7.1f} {row['finish']:7.1f}  "
                f"{date:<11} {' '.join(row['who'])}"[:110]
            )
        data = for_terminal("\n".join(lines), keep_newlines=True) + "\n"
    emit(data.encode(), out, inputs=[plan_file], force=force)


commands = [simulate, schedule]
