"""The compiled sampling loops of pert and triangular (plugins/_tables.pyx) against their NumPy references.

Forecasts, snapshots and golden files rest on these numbers, so "close" is not enough: every
value must be bit-identical to the NumPy expression, and the random stream must be left exactly
where `Generator.random` would leave it (the success draws that follow use it).
"""

from __future__ import annotations

import numpy as np
import pytest

from teamcast.errors import PluginError
from teamcast.plugins import _tables, pert, triangular
from teamcast.plugins.manager import checked_sample, checked_success, get_registry, is_builtin

SHAPES = [(1, 1), (1, 5), (7, 1), (7, 3), (1023, 1), (1024, 9), (1500, 37), (0, 4)]


def estimates(k: int, seed: int = 3) -> list[tuple[float, float, float]]:
    """Random triples with the awkward ones mixed in: point estimates, mode at either end, low = 0."""
    rng = np.random.default_rng(seed)
    special = [(4.0, 4.0, 4.0), (1.0, 1.0, 4.0), (3.0, 8.0, 8.0), (0.0, 0.5, 30.0), (0.0, 0.0, 0.0)]
    out = []
    for j in range(k):
        if j % 3 == 1:
            out.append(special[(j // 3) % len(special)])
        else:
            low, likely, high = np.sort(np.round(rng.uniform(0, 40, 3), rng.integers(0, 4)))
            out.append((float(low), float(likely), float(high)))
    return out


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


class StandIn:
    """Something with a Generator's random() that is not a Generator: the models draw through it."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def random(self, *args, **kwargs):
        return self.rng.random(*args, **kwargs)


@pytest.mark.parametrize(("n", "k"), SHAPES)
@pytest.mark.parametrize("model", [pert, triangular])
def test_samples_are_bit_identical_to_the_numpy_reference(tasks_frame, model, n, k):
    tasks = tasks_frame(estimates(k))
    compiled, reference = np.random.default_rng(11), np.random.default_rng(11)
    got = model.sample(tasks, n, compiled)
    if model is pert:
        want = pert.sample_reference(tasks, n, reference)
    else:
        want = triangular.quantile_reference(tasks, reference.random((n, k)))
    assert same(got, want) and got.flags.c_contiguous
    assert same(compiled.random(5), reference.random(5))  # the stream is left where random() leaves it


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64])
@pytest.mark.parametrize("model", [pert, triangular])
def test_every_bit_generator_gives_the_stream_of_random(tasks_frame, model, bits):
    tasks = tasks_frame(estimates(6))
    got = model.sample(tasks, 333, np.random.Generator(bits(5)))
    via_random = model.sample(tasks, 333, StandIn(np.random.Generator(bits(5))))  # draws with random()
    assert same(got, via_random)


def test_pert_with_a_stand_in_generator_matches_too(tasks_frame, monkeypatch):
    tasks = tasks_frame(estimates(9))
    want = pert.sample_reference(tasks, 100, np.random.default_rng(2))
    monkeypatch.setattr(pert, "SLICE_CELLS", 250)  # slices of 2 tasks
    assert same(pert.sample(tasks, 100, StandIn(np.random.default_rng(2))), want)


def quantile_points(n: int, k: int) -> np.ndarray:
    u = np.random.default_rng(n * 31 + k).random((n, k))
    edges = [0.0, 1.0, np.nextafter(1.0, 0.0), 0.5, 1 / pert.GRID, -0.25, 1.5, 2047.5 / 2048]
    flat = u.reshape(-1)
    flat[: min(len(edges), flat.size)] = edges[: flat.size]
    return u


@pytest.mark.parametrize(("n", "k"), [(1, 1), (8, 1), (3, 5), (257, 13)])
@pytest.mark.parametrize("model", [pert, triangular])
def test_quantiles_are_bit_identical_to_the_numpy_reference(tasks_frame, model, n, k):
    tasks = tasks_frame(estimates(k, seed=k))
    u = quantile_points(n, k)
    assert same(model.quantile(tasks, u), model.quantile_reference(tasks, u))
    strided = np.asfortranarray(np.repeat(u, 2, axis=0))[::2]  # neither C- nor F-contiguous input
    assert same(model.quantile(tasks, strided), model.quantile_reference(tasks, u))


def test_interpolate_rejects_a_table_row_out_of_range():
    start = slope = np.zeros(8)
    one = np.ones(1)
    with pytest.raises(ValueError, match="out of range"):
        _tables.interpolate(
            np.zeros((1, 2)), start, slope, np.array([4], dtype=np.int64), one, one, np.empty((1, 2)), 8
        )


def test_the_built_in_models_are_trusted_to_check_their_own_samples():
    registry = get_registry()
    for name in ("pert", "triangular"):
        model = registry.duration_model(name)
        assert model.self_checked and is_builtin(model)


def test_an_estimate_too_large_to_sample_is_an_error_not_an_infinite_effort(tasks_frame, rng):
    tasks = tasks_frame([(1.0, 2.0, 3.0), (1e308, 1.5e308, 1.79e308)])
    registry = get_registry()
    for name in ("pert", "triangular"):
        with pytest.raises(PluginError, match=r"task 't1': estimate too large to sample"):
            checked_sample(registry.duration_model(name), tasks, 50, rng)


TRUSTING = """
    import numpy as np
    from teamcast import hookimpl
    from teamcast.plugins.records import DurationModel

    @hookimpl
    def register_duration_models(register):
        nan = lambda tasks, n, rng: np.full((n, tasks.height), np.nan)
        register(DurationModel("liar", sample=nan, mean=lambda t: np.ones(t.height), self_checked=True))
"""


def test_a_third_party_model_claiming_self_checked_is_still_checked(dists, tasks_frame, rng):
    dists.add("tc-liar", "0.1", {"tc_liar": TRUSTING}, {"liar": "tc_liar"})
    model = dists.registry().duration_model("liar")
    assert model.self_checked and not is_builtin(model)
    with pytest.raises(PluginError, match=r"returned NaN for task 't0'"):
        checked_sample(model, tasks_frame([(1.0, 2.0, 3.0)] * 2), 10, rng)


def test_success_blocks_are_the_bytes_of_the_cast(tasks_frame):
    tasks = tasks_frame(estimates(7), p_success=[0.0, 0.3, 0.5, 0.9, 1.0, 0.7, 0.1])
    model = get_registry().success_model("bernoulli")
    got = checked_success(model, tasks, 400, np.random.default_rng(8))
    want = model.sample(tasks, 400, np.random.default_rng(8)).astype(np.uint8)
    assert same(got, want) and got.flags.c_contiguous


BLOCK_SIZES = [[1024], [1024, 1024, 300], [5, 0, 17], [0], []]


@pytest.mark.parametrize("sizes", BLOCK_SIZES)
@pytest.mark.parametrize("compiled", [True, False])
def test_several_blocks_at_once_are_each_block_sampled_alone(tasks_frame, monkeypatch, sizes, compiled):
    """pert's and bernoulli's sample_blocks: the rows of each block are that block's sample, and
    every generator is left where sampling its block alone leaves it (the driver draws on)."""
    from teamcast.plugins import bernoulli

    if not compiled:  # the fallback of a checkout without the extension: the models' own sample
        monkeypatch.setattr(pert, "_compiled", None)
        monkeypatch.setattr(bernoulli, "_compiled", None)
    k = 11
    tasks = tasks_frame(estimates(k, seed=5), p_success=[0.0, 0.3, 0.5, 0.9, 1.0, 0.7, 0.1, 0.25, 0.5, 0.99, 0.6])
    gens = [np.random.default_rng(100 + b) for b in range(len(sizes))]
    alone = [np.random.default_rng(100 + b) for b in range(len(sizes))]
    effort = np.empty((sum(sizes), k))
    success = np.empty((sum(sizes), k), dtype=np.uint8)
    pert.sample_blocks(tasks, gens, sizes, effort)
    bernoulli.sample_blocks(tasks, gens, sizes, success)
    want_effort = [pert.sample_reference(tasks, n, g) for g, n in zip(alone, sizes, strict=True)]
    want_success = [bernoulli.sample(tasks, n, g).astype(np.uint8) for g, n in zip(alone, sizes, strict=True)]
    if sizes:
        assert same(effort, np.concatenate(want_effort)) and same(success, np.concatenate(want_success))
    assert all(same(g.random(3), a.random(3)) for g, a in zip(gens, alone, strict=True))


def test_blocks_that_do_not_fit_the_output_are_rejected(tasks_frame):
    tasks = tasks_frame(estimates(3))
    start, slope, _, low, width, base = pert._prepared(tasks)
    gens = [np.random.default_rng(1).bit_generator]
    _tables.bernoulli_blocks(gens, np.array([9]), np.ones(3), np.empty((9, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="trials"):
        _tables.sample_pert_blocks(gens, np.array([10]), start, slope, base, low, width, np.empty((9, 3)), pert.GRID)
    with pytest.raises(ValueError, match="one size per"):
        _tables.bernoulli_blocks(gens, np.array([5, 4]), np.ones(3), np.empty((9, 3), dtype=np.uint8))
    # Neither a call nor a rejected one leaves the generator locked: another thread can take the lock.
    import threading

    took = []
    worker = threading.Thread(target=lambda: took.append(gens[0].lock.acquire(timeout=5)))
    worker.start()
    worker.join()
    assert took == [True]


def test_pert_cdf_answers_again_from_its_cache_and_a_caller_cannot_change_it(tasks_frame):
    tasks = tasks_frame(estimates(6, seed=9))
    x = np.array([[0.0, 2.5, 7.0, 12.0, 40.0, 3.0]])
    first = pert.cdf(tasks, x)
    first[:] = -1.0  # the caller's copy
    again = pert.cdf(tasks, x)
    low, likely, high = (tasks[c].to_numpy() for c in ("est_low", "est_likely", "est_high"))
    alpha, beta = pert.shapes(low, likely, high)
    want = pert.betainc(alpha, beta, np.clip((x - low) / np.where(high > low, high - low, 1.0), 0.0, 1.0))
    want = np.where(high > low, want, (x >= low).astype(np.float64))
    assert same(again, want)
    assert same(pert.cdf(tasks, x.reshape(6, 1).T), want)  # same values, asked in another array
