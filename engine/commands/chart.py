"""`teamcast chart`: a plan's completion curves, timeline or tornado as an SVG or PNG file."""

from __future__ import annotations

import click

KINDS = ("completion", "timeline", "tornado")  # as teamcast.engine.charts.KINDS; numpy stays unloaded


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(KINDS), default="completion", show_default=True, help="Which chart.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file: .svg or .png.")
@click.option(
    "--trials", "-n", default=5_000, show_default=True, type=click.IntRange(min=1), help="Monte Carlo trials."
)
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option("--project", default=None, help="The project of a tornado chart (default: the first).")
def chart(plan_file: str, kind: str, out: str, trials: int, seed: int, project: str | None) -> None:
    """Draw a chart of the plan's forecast into an SVG or PNG file (needs pip install 'teamcast[report]').

    \b
    completion  P(done by date) per project, levelling off at its P(success)
    timeline    who does what when (point schedule), P50-P80-P95 whiskers, deadlines
    tornado     the tasks whose duration moves one project's finish most

    \b
    Examples:
      teamcast chart team.db --kind completion --out completion.svg
      teamcast chart plan.toml --kind tornado --project fraud --out tornado.png
    """
    from pathlib import Path

    from teamcast.engine import charts
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.plan.calendar import Calendar
    from teamcast.engine.plan.io import load_plan
    from teamcast.errors import UsageError

    if Path(out).suffix.lower() not in charts.SUFFIXES:
        raise UsageError(f"--out {out}: a chart is written as .svg or .png")
    charts.pyplot()  # a missing matplotlib is reported before the forecast runs
    plan = load_plan(plan_file)
    if plan.projects.height == 0:
        raise UsageError(f"{plan_file}: no projects to chart")
    ids = plan.projects["id"].to_list()
    if project is not None and project not in ids:
        raise UsageError(f"--project {project}: not a project of {plan_file} (projects: {', '.join(ids)})")
    forecast = simulate(plan, trials=trials, seed=seed)
    if kind == "completion":
        calendar = Calendar(plan.start, plan.holidays)
        names = forecast.projects["name"].to_list()
        curves = {
            (name or pid): charts.completion_curve(forecast.project_finish[:, i], calendar.finish_date)
            for i, (pid, name) in enumerate(zip(ids, names, strict=True))
        }
        fig = charts.completion_figure(curves)
    elif kind == "timeline":
        from teamcast.engine.timeline import build_timeline

        fig = charts.timeline_figure(build_timeline(plan, forecast.projects))
    else:
        chosen = project or ids[0]
        name = plan.projects.filter(plan.projects["id"] == chosen)["name"][0] or chosen
        fig = charts.tornado_figure(forecast.tasks.filter(forecast.tasks["project"] == chosen), name)
    charts.save(fig, out)
    click.echo(f"wrote {out}: {kind} chart, {trials:,} trials, seed {seed}", err=True)


commands = [chart]
