"""`teamcast retro`, `teamcast report` and `teamcast task start|done|fail`: record outcomes, score forecasts, share reports."""

from __future__ import annotations

from pathlib import Path

import click

from teamcast.engine.commands.terminal import echo

RETRO_FORMATS = ("table", "json")


def _date(value: str | None, what: str):
    from teamcast.engine.retro.outcomes import parse_date

    return parse_date(value, what) if value is not None else None


@click.command()
@click.argument("workspace", type=click.Path(dir_okay=False))
@click.option("--since", default=None, metavar="DATE", help="Only work finished on or after DATE (YYYY-MM-DD).")
@click.option("--team", default=None, help="Only this team's work.")
@click.option("--person", default=None, help="Only this person's work.")
@click.option("--format", "fmt", type=click.Choice(RETRO_FORMATS), default="table", show_default=True)
def retro(workspace, since, team, person, fmt):
    """How good were our forecasts: calibration of P(success) and of estimates, inputs, date trends.

    \b
    Examples:
      teamcast retro team.db
      teamcast retro team.db --since 2026-10-01 --team risk --format json
    """
    from teamcast.engine.plan.io import load_plan
    from teamcast.engine.retro.review import build_retro, render_retro

    since_date = _date(since, "--since")
    result = build_retro(load_plan(workspace), since=since_date, team=team, person=person)
    if fmt == "json":
        from teamcast.engine.plan.io import json_text

        click.echo(json_text(result.to_json()), nl=False)
    else:
        echo(render_retro(result), nl=False)


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["leadership", "retro"]), required=True)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="report.md, report.html or report.json"
)
@click.option("--trials", "-n", default=5_000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--force", is_flag=True, help="Write --out even over an input or a workspace file.")
def report(plan_file, kind, out, trials, seed, force):
    """Write a report to share: for leadership (impact, odds, dates, risks) or the forecast retro.

    \b
    Examples:
      teamcast report team.db --kind leadership --out outlook.html
      teamcast report team.db --kind retro --out retro.md
    """
    from teamcast.engine.plan.io import check_output, load_plan
    from teamcast.engine.retro.report import write_report

    check_output(out, inputs=[plan_file], force=force)
    if Path(out).suffix.lower() == ".html":
        from teamcast.engine.extras import require_extra

        require_extra("matplotlib", "report", "the HTML report", "or write the report as .md or .json")
    write_report(load_plan(plan_file), kind, out, trials=trials, seed=seed)
    echo(f"wrote the {kind} report to {out}", err=True)


@click.group()
def task():
    """Record what happened to a task: start it, finish it, or mark it failed."""


def _outcome_command(outcome: str, help_text: str):
    @click.command(outcome, help=help_text)
    @click.argument("task_id")
    @click.option(
        "--in", "workspace", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The workspace (.db)."
    )
    @click.option("--on", "on", default=None, metavar="DATE", help="The date (YYYY-MM-DD); default today.")
    @click.option("--by", "by", default=None, help="The person who did it (a person id).")
    @click.option(
        "--actual",
        type=float,
        default=None,
        help="Days of effort it took (default: working days since the start x the doer's capacity).",
    )
    def command(task_id, workspace, on, by, actual=None):
        from teamcast.engine.retro.outcomes import record_outcome

        done = record_outcome(workspace, task_id, outcome, on=_date(on, "--on"), by=by, actual=actual)
        took = ""
        if done.actual_days is not None and outcome != "start":
            # Effort, not elapsed time; the working days are said beside it when they differ.
            elapsed = (done.history_row or {}).get("elapsed_days")
            took = f" after {done.actual_days:g} days of effort"
            took += f" ({elapsed:g} working days)" if elapsed is not None and elapsed != done.actual_days else ""
        echo(f"{done.task}: {done.status} on {done.on}{took}", err=True)

    if outcome == "start":
        command.params = [p for p in command.params if p.name != "actual"]
    return command


task.add_command(_outcome_command("start", "Mark TASK_ID as started (status doing)."))
task.add_command(_outcome_command("done", "Mark TASK_ID as done and add it to the history with the forecast it had."))
task.add_command(_outcome_command("fail", "Mark TASK_ID as failed and add it to the history with the forecast it had."))

commands = [retro, report, task]
