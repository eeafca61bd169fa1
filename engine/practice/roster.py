"""Who the plan has and whether it is enough: effort demanded per role against the capacity of the
people and hires of that role, people's skills beside the lecture's role reference points, and which
role is the bottleneck (what one more person of a role would do to each project's P80).

Demand and coverage are a deliberately naive, documented reading (teamcast's): every role works only
on its own queue, nothing waits on anything. The simulation is what answers "when"; this answers
"is there enough of each role at all".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.model import ROLE_TITLE, Plan, Role, TaskStatus
from teamcast.engine.practice.hiring import pert_mean

# The lecture's skills chart (Lecture 13, §1 (figure)): its axes are named in the notes, the SWE
# axis and the positions only in the figure, read off by teamcast on a 0-1 scale: an ordering, not
# measurements. Communication is the bubble's relative size (1 = smallest).
ROLE_SKILLS: dict[Role, tuple[float, float, float]] = {
    Role.DEVOPS_ENGINEER: (0.11, 0.93, 1.0),
    Role.DATA_ENGINEER: (0.27, 0.78, 1.0),
    Role.ML_ENGINEER: (0.70, 0.56, 1.0),
    Role.ML_RESEARCHER: (0.94, 0.28, 3.2),
    Role.DATA_SCIENTIST: (0.52, 0.23, 7.7),
    Role.ML_PRODUCT_MANAGER: (0.31, 0.10, 13.1),
}
_LARGEST_BUBBLE = max(comm for _, _, comm in ROLE_SKILLS.values())
OPEN_STATUSES = {TaskStatus.TODO.value, TaskStatus.DOING.value}


def skills_chart(plan: Plan) -> pl.DataFrame:
    """Points for the skills chart: one row per role reference point and per person.

    Columns: kind ("role" | "person"), id, name, role, ml, swe, comm, all on 0-1. People's 0-5
    skills are divided by 5; the roles' communication is the lecture's bubble size divided by the
    largest (teamcast's normalisation). Unknown skills stay null.
    """
    rows: list[dict[str, str | float | None]] = [
        {
            "kind": "role",
            "id": role.value,
            "name": ROLE_TITLE[role],
            "role": role.value,
            "ml": ml,
            "swe": swe,
            "comm": comm / _LARGEST_BUBBLE,
        }
        for role, (ml, swe, comm) in ROLE_SKILLS.items()
    ]
    for p in plan.people.iter_rows(named=True):
        rows.append(
            {
                "kind": "person",
                "id": p["id"],
                "name": p["name"],
                "role": p["role"],
                "ml": _scaled(p["skill_ml"]),
                "swe": _scaled(p["skill_swe"]),
                "comm": _scaled(p["skill_comm"]),
            }
        )
    schema = {
        "kind": pl.String,
        "id": pl.String,
        "name": pl.String,
        "role": pl.String,
        "ml": pl.Float64,
        "swe": pl.Float64,
        "comm": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _scaled(skill: int | None) -> float | None:
    return None if skill is None else skill / 5


# --- demand and capacity -------------------------------------------------------------------------


def task_demands(plan: Plan) -> pl.DataFrame:
    """Expected effort each open (todo or doing) task asks of each role: task, role, effort_days.

    Effort is the PERT mean (low + 4·likely + high) / 6 of the estimate (the number itself for a
    single estimate; tasks with model-specific parameters only are left out), times the units of the
    role the task needs. A task with an assignee asks for that person's role. A task in progress
    counts in full (teamcast's simplification: the time already spent is not subtracted).
    """
    role_of_person = dict(zip(plan.people["id"].to_list(), plan.people["role"].to_list(), strict=True))
    rows = []
    for t in plan.tasks.iter_rows(named=True):
        effort = pert_mean(t["est_low"], t["est_likely"], t["est_high"])
        if (t["status"] or TaskStatus.TODO.value) not in OPEN_STATUSES or effort is None:
            continue
        for role, units in _roles_needed(t, role_of_person):
            rows.append({"task": t["id"], "role": role, "effort_days": effort * units})
    return pl.DataFrame(rows, schema={"task": pl.String, "role": pl.String, "effort_days": pl.Float64})


def _roles_needed(task: dict, role_of_person: dict[str, str]) -> list[tuple[str, int]]:
    needed = []
    if task["role"]:
        needed.append((task["role"], 1))
    for need in task["needs"] or []:
        # Pools that are not roles (gpus, ...) are not staffing; roles of custom names are kept.
        if need["pool"] in set(Role) or need["pool"] in role_of_person.values():
            needed.append((need["pool"], need["units"] or 1))
    if task["assignee"] in role_of_person:
        needed.append((role_of_person[task["assignee"]], 1))
    return needed


@dataclass(frozen=True)
class _Arrival:
    day: float
    capacity: float
    ramp_days: float
    ramp_productivity: float


def coverage(plan: Plan) -> pl.DataFrame:
    """Demand against capacity per role.

    Columns: role, people, hires, demand_days (open effort), capacity_per_day (of the people on
    board now), clear_day (teamcast's naive reading: the working day by which the role could clear
    its demand if it worked only on it, nothing waited, and hires joined at the PERT mean of their
    time to hire at their ramp-up productivity; null if the role has no one), and covered (demand met
    by the people and hires at all, i.e. clear_day is not null).
    """
    demand = task_demands(plan).group_by("role").agg(pl.col("effort_days").sum())
    demand_of = dict(demand.iter_rows())
    people = plan.people.with_columns(pl.col("capacity").fill_null(1.0))
    roles = list(dict.fromkeys(people["role"].to_list() + plan.hires["role"].to_list() + demand["role"].to_list()))
    rows = []
    for role in roles:
        staff = people.filter(pl.col("role") == role)
        arrivals = _arrivals(plan.hires.filter(pl.col("role") == role))
        need = demand_of.get(role, 0.0)
        per_day = float(staff["capacity"].sum())
        rows.append(
            {
                "role": role,
                "people": staff.height,
                "hires": len(arrivals),
                "demand_days": need,
                "capacity_per_day": per_day,
                "clear_day": _clear_day(need, per_day, arrivals),
            }
        )
    schema = {
        "role": pl.String,
        "people": pl.Int64,
        "hires": pl.Int64,
        "demand_days": pl.Float64,
        "capacity_per_day": pl.Float64,
        "clear_day": pl.Float64,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(covered=pl.col("clear_day").is_not_null())


def _arrivals(hires: pl.DataFrame) -> list[_Arrival]:
    return [
        _Arrival(
            pert_mean(h["tth_low"], h["tth_likely"], h["tth_high"]) or 0.0,
            h["capacity"] if h["capacity"] is not None else 1.0,
            h["ramp_days"] or 0.0,
            h["ramp_productivity"] if h["ramp_productivity"] is not None else 1.0,
        )
        for h in hires.iter_rows(named=True)
    ]


def _clear_day(demand: float, per_day: float, arrivals: list[_Arrival]) -> float | None:
    """The first day on which the cumulative capacity reaches `demand` (piecewise-linear in time)."""
    if demand <= 0:
        return 0.0
    # Breakpoints where the rate changes: arrivals and ends of ramp-up.
    events = sorted({0.0} | {a.day for a in arrivals} | {a.day + a.ramp_days for a in arrivals})
    done = 0.0
    for start, end in zip(events, events[1:] + [math.inf], strict=True):
        rate = per_day + sum(_rate(a, start) for a in arrivals)
        if rate > 0 and done + rate * (end - start) >= demand:
            return start + (demand - done) / rate
        done += rate * (end - start) if end < math.inf else 0.0
    return None


def _rate(arrival: _Arrival, day: float) -> float:
    if day < arrival.day:
        return 0.0
    productivity = arrival.ramp_productivity if day < arrival.day + arrival.ramp_days else 1.0
    return arrival.capacity * productivity


# --- bottlenecks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bottleneck:
    role: str
    project: str
    project_name: str
    p80_before: float  # working days
    p80_after: float

    @property
    def delta_days(self) -> float:
        return self.p80_after - self.p80_before

    def sentence(self) -> str:
        title = ROLE_TITLE[Role(self.role)] if self.role in set(Role) else self.role
        unit = "day" if abs(round(self.delta_days)) == 1 else "days"
        return f"an extra {title} moves {self.project_name} P80 by {_signed(self.delta_days)} {unit}"


def _signed(days: float) -> str:
    rounded = round(days)
    if rounded == 0:
        return "0"
    return f"{'−' if rounded < 0 else '+'}{abs(rounded)}"


Simulate = Callable[..., object]  # simulate(plan, *, trials, seed) -> Forecast with .projects


def bottlenecks(
    plan: Plan, *, trials: int = 2_000, seed: int = 0, simulate: Simulate | None = None
) -> list[Bottleneck]:
    """For each role with people, simulate the plan with one more full-time person of that role from
    day 0, with the same seed (common random numbers), and report how each project's P80 moves;
    ranked with the largest gain first. Projects with no P80 (never succeeding) are left out."""
    if simulate is None:
        from teamcast.engine.forecast.simulate import simulate as simulate_plan

        simulate = simulate_plan
    before = _p80s(simulate(plan, trials=trials, seed=seed))
    names = dict(zip(plan.projects["id"].to_list(), plan.projects["name"].to_list(), strict=True))
    found = []
    for role in dict.fromkeys(plan.people["role"].to_list()):
        after = _p80s(simulate(with_extra_person(plan, role), trials=trials, seed=seed))
        for project, p80 in before.items():
            if project in after:
                found.append(Bottleneck(role, project, names.get(project) or project, p80, after[project]))
    return sorted(found, key=lambda b: (b.delta_days, b.role, b.project))


def with_extra_person(plan: Plan, role: str) -> Plan:
    """The plan with one more full-time person of `role`, available from day 0."""
    taken = set(plan.people["id"].to_list()) | set(plan.hires["id"].to_list()) | set(plan.tasks["id"].to_list())
    person_id = f"extra-{role}"
    n = 2
    while person_id in taken:
        person_id, n = f"extra-{role}-{n}", n + 1
    return plan.replace(people=pl.concat([plan.people, _person_row(plan, person_id, role)]))


def _person_row(plan: Plan, person_id: str, role: str) -> pl.DataFrame:
    row = {name: None for name in plan.people.columns} | {
        "id": person_id,
        "name": f"extra {role}",
        "role": role,
        "capacity": 1.0,
    }
    return pl.DataFrame([row], schema=plan.people.schema, orient="row")


def _p80s(forecast) -> dict[str, float]:
    projects = forecast.projects
    return {
        pid: p80
        for pid, p80 in zip(projects["id"].to_list(), projects["p80"].to_list(), strict=True)
        if p80 is not None and not math.isnan(p80)
    }
