"""`teamcast sweep`: many scenarios of one plan, ranked, for people and for pipelines."""

from __future__ import annotations

import io
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
    strategy.CHALLENGE, model, priority, modifier. Rows are written as scenarios finish, in
    order; with --out they go to OUT.partial, renamed to OUT when the sweep is done (a
    stopped sweep leaves its finished scenarios there).

    \b
    Examples:
      teamcast sweep plan.toml --vary hire.data_engineer=none,20,60 --vary priority=value,lft
      teamcast sweep plan.toml --vary people.ml_engineer=2,3,4 --top 3 --by fraud.p80
      teamcast sweep plan.toml --sweep-file grid.toml --executor dask://scheduler:8786 --format parquet --out s.parquet
    """
    from teamcast.engine.commands.simulate import cap_jobs
    from teamcast.engine.forecast.sweep import (
        check_by,
        grid_size,
        iter_sweep,
        parse_vary,
        rank_as_they_come,
        read_sweep_file,
    )
    from teamcast.engine.plan.io import check_output, load_plan
    from teamcast.errors import TeamcastError, UsageError
    from teamcast.interrupts import INTERRUPTED_EXIT, ctrl_c_taken

    axes = [parse_vary(v) for v in varies]
    if sweep_file:
        axes += read_sweep_file(sweep_file)
    if (top is None) != (by is None) and by is None:
        raise UsageError("--top needs --by METRIC")
    if by:
        check_by(by)  # before anything runs
    inputs = [plan_file, *([sweep_file] if sweep_file else [])]
    if out:
        check_output(out, inputs=inputs, force=force)
    plan = load_plan(plan_file)
    jobs = cap_jobs(jobs, executor, force)
    scenarios = grid_size(axes)
    if scenarios > LARGE_SWEEP:
        when = (
            f"ranked as they finish, the best {top or 'all'} written at the end"
            if by
            else "written when all are done (csv, json or table stream)"
            if fmt == "parquet"
            else "rows are written as scenarios finish"
        )
        click.echo(f"note: {scenarios:,} scenarios x {trials:,} trials; {when}", err=True)
    show = not quiet and sys.stderr.isatty()

    def progress(done, total):
        if show:
            click.echo(f"\rscenario {done}/{total}", err=True, nl=done == total)

    keys = [a.key for a in axes]
    results = iter_sweep(plan, axes, trials=trials, seed=seed, executor=executor, jobs=jobs, progress=progress)
    if by:
        ranked = rank_as_they_come(results, keys, by, top)
        results = iter(_by_scenario(ranked.to_dicts()))
    elif fmt == "parquet":
        results = iter([[row for rows in results for row in rows]])  # one piece: parquet is written whole
    header = {
        "plan": plan.name,
        "trials": trials,
        "seed": seed,
        "axes": [{"key": a.key, "values": list(a.values)} for a in axes],
    }
    writer = SweepWriter(fmt, keys, header)
    sink = Sink(out, inputs=inputs, force=force)
    lost, failed, written = set(), set(), 0
    try:
        for rows in results:
            sink.write(writer.piece(rows))
            written += 1
            for row in rows:
                if row["error"]:
                    failed.add(row["scenario"])
                    if row["error"].startswith("worker lost"):
                        lost.add(row["scenario"])
        sink.write(writer.end())
    except BaseException as exc:
        if not (ctrl_c_taken() or isinstance(exc, KeyboardInterrupt)):
            sink.close(keep=written > 0)  # a sweep that failed before its first row leaves no file
            raise
        # Ctrl-C, whatever it became on the way (inside Polars a KeyboardInterrupt can come out
        # as a TypeError or an IndexError): say what was kept.
        where = sink.partial if sink.partial and written else "stdout" if not out else "nowhere"
        click.echo(f"\ninterrupted: {written} scenario(s) written to {where}", err=True)
        sink.close(keep=written > 0)
        raise SystemExit(INTERRUPTED_EXIT) from None
    sink.commit()
    if lost:  # the rows say so too; a run that lost scenarios is not a success
        raise TeamcastError(
            f"{len(lost)} scenario(s) were lost with their workers on every try; their rows say 'worker lost'",
            title="executor",
        )
    if failed:
        # A reported error never exits 0 (issue 12): the table is written, the exit status says it.
        raise TeamcastError(f"{len(failed)} of {written} scenario(s) failed; see their rows")


def _by_scenario(rows: list[dict]) -> list[list[dict]]:
    """Consecutive rows of the same scenario, grouped (ranked output keeps its order)."""
    groups: list[list[dict]] = []
    for row in rows:
        if groups and groups[-1][0]["scenario"] == row["scenario"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


class SweepWriter:
    """The bytes of a sweep's output, one scenario's rows at a time, in any format.

    Joined, the pieces are exactly the document the whole table would give: a table, a CSV
    with one header, or one JSON document whose `rows` list is written row by row.
    """

    def __init__(self, fmt: str, keys: list[str], header: dict):
        self.fmt, self.keys, self.header = fmt, keys, header
        self.count = 0

    def piece(self, rows: list[dict]) -> bytes:
        from teamcast.engine.forecast.sweep import to_frame
        from teamcast.engine.plan.text import csv_safe, for_terminal

        first = self.count == 0
        self.count += 1
        if self.fmt == "table":
            text = ("" if first else "\n") + "\n".join(render_scenario(rows)) + "\n"
            return for_terminal(text, keep_newlines=True).encode()
        if self.fmt == "json":
            import json

            from teamcast.engine.plan.io import finite_json, json_text

            head = json_text(self.header)[: -len("\n}\n")] + ',\n  "rows": [' if first else ""
            rows = to_frame(rows, self.keys).to_dicts()  # every column, in order, as the whole table has them
            body = [json.dumps(finite_json(row), indent=2, allow_nan=False, default=str) for row in rows]
            text = ",\n".join("\n".join("    " + line for line in item.splitlines()) for item in body)
            return (head + ("\n" if first else ",\n") + text).encode() if body else head.encode()
        buf = io.BytesIO()
        frame = to_frame(rows, self.keys)
        if self.fmt == "csv":
            csv_safe(frame).write_csv(buf, include_header=first)
        else:
            frame.write_parquet(buf)
        return buf.getvalue()

    def end(self) -> bytes:
        if self.count == 0 and self.fmt in ("csv", "json"):  # nothing was written: the header still is
            return self.piece([]) + self.end()
        if self.fmt == "table":
            return (
                b"\nP50/P80/P95: finish if it succeeds, working days from the start; EV: importance x P(ok);\n"
                b"EV@dl: importance x P(done and successful by the deadline).\n"
            )
        if self.fmt == "json":
            return b"\n  ]\n}\n"
        return b""


class Sink:
    """Where a sweep's output goes as it is made: stdout, flushed after every scenario; or
    `OUT.partial` beside `--out OUT`, flushed after every scenario and renamed to OUT when the
    sweep is done. A stopped sweep leaves its finished scenarios in OUT.partial and never a
    half-written OUT; a device such as /dev/stdout is written straight through."""

    def __init__(self, out: str | None, *, inputs: list[str], force: bool):
        from pathlib import Path

        from teamcast.engine.plan.io import check_output

        self.out = Path(out) if out else None
        self.partial: Path | None = None
        self.file = sys.stdout.buffer
        if self.out is not None:
            device = self.out.exists() and not self.out.is_file()
            self.partial = self.out if device else self.out.with_name(self.out.name + ".partial")
            check_output(self.partial, inputs=inputs, force=force)
            self.file = self._io(lambda: open(self.partial, "wb"))

    def _io(self, action):
        from teamcast.errors import TeamcastError

        try:
            return action()
        except OSError as exc:
            raise TeamcastError(f"cannot write {self.partial}: {exc.strerror or exc}", title="output") from None

    def write(self, data: bytes) -> None:
        if data:
            self._io(lambda: (self.file.write(data), self.file.flush()))

    def close(self, keep: bool = True) -> None:
        """Close the partial file; without `keep`, remove it too (nothing worth keeping in it)."""
        if self.file is not sys.stdout.buffer:
            self.file.close()
            if not keep and self.partial is not None and self.partial != self.out:
                self.partial.unlink(missing_ok=True)

    def commit(self) -> None:
        import os

        self.close()
        out, partial = self.out, self.partial
        if out is not None and partial is not None and partial != out:
            self._io(lambda: os.replace(partial, out))


def render_scenario(rows: list[dict]) -> list[str]:
    """The lines of one scenario in the table: its label, then a line per project (or its error)."""

    def pct(x):
        return "   -" if x is None or x != x else f"{100 * x:3.0f}%"

    header = f"  {'project':<22} {'P50':>6} {'P80':>6} {'P95':>6} {'P(ok)':>5} {'on time':>7} {'EV':>5} {'EV@dl':>5}"
    first = rows[0]
    lines = [f"#{first['scenario']} {first['label']}"]
    if not first["error"]:
        lines.append(header)
    for row in rows:
        if row["error"]:
            lines.append(f"  failed: {row['error'].removeprefix('error: ')[:74]}")
            continue
        lines.append(
            f"  {row['project'][:22]:<22} {row['p50']:6.1f} {row['p80']:6.1f} {row['p95']:6.1f} "
            f"{pct(row['p_success']):>5} {pct(row['p_on_time']):>7} {row['expected_value']:5.1f} {row['on_time_value'] or 0:5.1f}"
        )
    return lines


def render_sweep(table, keys) -> str:
    """The whole table of a sweep's rows, as the command prints it."""
    writer = SweepWriter("table", list(keys), {})
    pieces = [writer.piece(rows) for rows in _by_scenario(table.to_dicts())]
    return b"".join([*pieces, writer.end()]).decode()


commands = [sweep]
