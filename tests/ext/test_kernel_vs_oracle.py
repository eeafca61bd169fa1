"""The Cython kernel must give exactly the oracle's schedules on random valid plans, for any thread count."""

import math

import numpy as np
import oracle
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from strategies import Case, Challenge, Task, Unit, describe, kernel_cases, make_input

from teamcast.ext import kernel
from teamcast.ext.kernel import STRATEGY_SEQUENTIAL, KernelOutput

FIELDS = ("start", "finish", "state", "critical", "proj_finish", "proj_success", "busy")
MAX_LISTED = 20


def differences(got: KernelOutput, expected: KernelOutput) -> list[str]:
    """One line per output entry where the kernel and the oracle disagree (NaN equals NaN)."""
    lines = []
    for name in FIELDS:
        a, b = getattr(got, name), getattr(expected, name)
        if a.shape != b.shape or a.dtype != b.dtype:
            lines.append(f"{name}: kernel {a.dtype}{a.shape}, oracle {b.dtype}{b.shape}")
            continue
        same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
        prefix = {"proj_finish": "p", "proj_success": "p", "busy": "u"}.get(name, "t")
        for trial, k in np.argwhere(~same):
            lines.append(
                f"{name}[trial {trial}, {prefix}{k}]: kernel {a[trial, k].item()!r}, oracle {b[trial, k].item()!r}"
            )
    return lines


def assert_kernel_matches_oracle(case: Case, threads: int) -> None:
    expected = oracle.run_chunk(case.inp, case.effort, case.success, case.arrival)
    got = kernel.run_chunk(case.inp, case.effort, case.success, case.arrival, threads=threads)
    lines = differences(got, expected)
    if lines:
        more = f"\n  ... and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
        listed = "\n  ".join(lines[:MAX_LISTED])
        hint = ""
        if all(line.startswith("busy") for line in lines) and np.allclose(got.busy, expected.busy):
            hint = "\n(busy differs only by rounding: the order of the additions differs)"
        raise AssertionError(f"kernel (threads={threads}) and oracle disagree:\n  {listed}{more}{hint}")


def hand_case(inp, effort, success, arrival=()) -> Case:
    n = len(effort)
    return Case(
        inp,
        np.array(effort, dtype=np.float64).reshape(1, n),
        np.array(success, dtype=np.uint8).reshape(1, n),
        np.array(arrival, dtype=np.float64).reshape(1, len(arrival)),
    )


# A parallel challenge that abandons an approach and skips another, then a sequential one.
ABANDONING = hand_case(
    make_input(
        [Task(unit=0), Task(unit=1), Task(unit=0), Task(after=["c0"], unit=1)],
        [[Unit(), Unit()]],
        [Challenge([0, 1, 2])],
    ),
    [2.0, 5.0, 1.0, 1.0],
    [1, 1, 1, 1],
    [0.0, 0.0],
)
SEQUENTIAL = hand_case(
    make_input(
        [Task(), Task(), Task(), Task(after=["c0"])],
        challenges=[Challenge([0, 1, 2], STRATEGY_SEQUENTIAL)],
    ),
    [2.0, 3.0, 4.0, 1.0],
    [0, 1, 1, 1],
)
RAMPING_HIRE = hand_case(
    make_input(
        [Task(needs=[(0, 1)]), Task(needs=[(0, 1)])],
        [[Unit(capacity=0.75, ramp_days=0.7, ramp_prod=0.3)]],
    ),
    [1.1, 0.7],
    [1, 0],
    [0.3],
)
# The document's readiness rule looks at the previous sequential approach only: t2 (c0#1) is
# skipped when t1 fails, so t3 (c0#2) runs while t0 (c0#0) still waits for u0, and wins.
# Once c0 has succeeded, t0 is never ready ("its challenge has not already succeeded").
SEQUENTIAL_SKIPPED_MIDDLE = hand_case(
    make_input(
        [Task(unit=0), Task(), Task(after=[1]), Task(), Task(unit=0)],
        [[Unit()]],
        [Challenge([0, 2, 3], STRATEGY_SEQUENTIAL)],
        prio_order=[4, 0, 1, 2, 3],
    ),
    [1.0, 1.0, 1.0, 0.5, 5.0],
    [1, 0, 1, 1, 1],
    [0.0],
)


@pytest.mark.parametrize("threads", [1, 2])
@settings(max_examples=300, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@example(case=ABANDONING)
@example(case=SEQUENTIAL)
@example(case=RAMPING_HIRE)
@example(case=SEQUENTIAL_SKIPPED_MIDDLE)
@given(case=kernel_cases())
def test_kernel_matches_oracle_exactly(case, threads):
    note(describe(case))
    assert_kernel_matches_oracle(case, threads)


@pytest.mark.parametrize("threads", [1, 2])
@settings(max_examples=200, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=kernel_cases(max_tasks=16, units=False, challenges=False))
def test_plans_without_units_or_challenges_match_the_oracle(case, threads):
    """Such plans take the kernel's forward pass instead of its event loop: the same schedules."""
    note(describe(case))
    assert_kernel_matches_oracle(case, threads)


@settings(max_examples=50, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=kernel_cases(max_trials=40))
def test_kernel_matches_oracle_when_threads_share_a_chunk(case):
    note(describe(case))
    for threads in (1, 2, 3):
        assert_kernel_matches_oracle(case, threads)


def test_the_failure_report_lists_each_disagreement():
    expected = oracle.run_chunk(SEQUENTIAL.inp, SEQUENTIAL.effort, SEQUENTIAL.success, SEQUENTIAL.arrival)
    got = KernelOutput(**{name: getattr(expected, name).copy() for name in FIELDS})
    got.finish[0, 3] = math.nan
    got.state = got.state.astype(np.int64)
    assert differences(got, expected) == [
        "finish[trial 0, t3]: kernel nan, oracle 6.0",
        "state: kernel int64(1, 4), oracle uint8(1, 4)",
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=kernel_cases(), threads=st.sampled_from([1, 2]))
def test_the_kernel_reports_the_units_the_oracle_gave_each_task(case, threads):
    """`units=True` returns exactly the units each task held in the oracle's trial (none where it did not run)."""
    got = kernel.run_chunk(case.inp, case.effort, case.success, case.arrival, threads=threads, units=True)
    plan = oracle._Plan(case.inp)
    fixed_done = np.isin(case.inp.task_fixed, [2, 3])
    for k, (effort, success, arrival) in enumerate(zip(case.effort, case.success, case.arrival, strict=True)):
        trial = oracle._Trial(plan, effort.tolist(), success.tolist(), arrival.tolist())
        trial.run()
        ran = trial.outputs()["state"] != 0
        expected = [sorted(units) if ran[i] and not fixed_done[i] else [] for i, units in enumerate(trial.taken)]
        assert [sorted(u) for u in kernel.units_held(case.inp, got.held[k])] == expected


def test_without_units_the_kernel_returns_no_held_array():
    case = ABANDONING
    assert kernel.run_chunk(case.inp, case.effort, case.success, case.arrival).held is None


@settings(max_examples=150, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=kernel_cases(), threads=st.sampled_from([1, 2]))
def test_run_projects_gives_run_chunks_project_outputs(case, threads):
    """The optimiser's call (no per-task rows, causes or chains) finishes and succeeds exactly alike."""
    full = kernel.run_chunk(case.inp, case.effort, case.success, case.arrival, threads=threads)
    got = kernel.run_projects(case.inp, case.effort, case.success, case.arrival, threads=threads)
    assert got.proj_finish.tobytes() == full.proj_finish.tobytes()
    assert got.proj_success.tobytes() == full.proj_success.tobytes()


@settings(max_examples=100, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=kernel_cases(max_trials=6), units=st.booleans())
def test_an_output_reused_from_another_chunk_is_overwritten_entirely(case, units):
    """run_chunk(out=...) writes every entry, whatever the reused arrays held before."""
    fresh = kernel.run_chunk(case.inp, case.effort, case.success, case.arrival, units=units)
    n = case.effort.shape[0]
    dirty = kernel.run_chunk(
        case.inp,
        np.tile(case.effort, (2, 1)),
        np.ones((2 * n, case.inp.n_tasks)),
        np.tile(case.arrival, (2, 1)),
        units=units,
    )
    for name in (*FIELDS, "held"):
        array = getattr(dirty, name)
        if array is not None:
            array.view(np.uint8)[...] = 0xA5  # garbage where a task that never runs must read NaN or 0
    again = kernel.run_chunk(case.inp, case.effort, case.success, case.arrival, units=units, out=dirty)
    assert np.shares_memory(again.start, dirty.start) or n * case.inp.n_tasks == 0
    for name in (*FIELDS, "held"):
        a, b = getattr(again, name), getattr(fresh, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.shape == b.shape and a.tobytes() == b.tobytes(), name
