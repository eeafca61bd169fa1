"""Scores of teamcast.engine.retro.calibration against hand-worked values and independent loop implementations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teamcast.engine.retro import calibration as cal


def test_brier_log_and_in_the_large_by_hand():
    p, y = [0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1]
    # (0.1² + 0.2² + 0.6² + 0.5²) / 4 = (0.01 + 0.04 + 0.36 + 0.25) / 4
    assert cal.brier_score(p, y) == pytest.approx(0.165)
    # −(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.5) / 4
    assert cal.log_score(p, y) == pytest.approx(1.937942 / 4, abs=1e-6)
    # mean forecast 0.55, base rate 0.5
    assert cal.calibration_in_the_large(p, y) == pytest.approx(0.05)


def test_always_fifty_percent_scores_a_quarter_and_ln2():
    y = np.array([1, 0, 1, 1, 0])
    assert cal.brier_score(np.full(5, 0.5), y) == pytest.approx(0.25)
    assert cal.log_score(np.full(5, 0.5), y) == pytest.approx(math.log(2))


def test_wilson_interval_by_hand():
    # 8 of 10: centre (0.8 + z²/20) / (1 + z²/10) = 0.71674, half 0.22657
    low, high = cal.wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.49016, abs=1e-5), pytest.approx(0.94331, abs=1e-5))
    assert cal.wilson_interval(0, 0) == (0.0, 1.0)


def test_murphy_decomposition_by_hand():
    # Bins: {0.15, 0.15} with outcomes {0, 1} (ȳ = 0.5); {0.85, 0.85} with {1, 1} (ȳ = 1); base rate 0.75.
    m = cal.murphy_decomposition([0.15, 0.15, 0.85, 0.85], [0, 1, 1, 1])
    assert m.brier == pytest.approx(0.1975)  # (0.0225 + 0.7225 + 0.0225 + 0.0225) / 4
    assert m.reliability == pytest.approx(0.0725)  # (2·0.35² + 2·0.15²) / 4
    assert m.resolution == pytest.approx(0.0625)  # (2·0.25² + 2·0.25²) / 4
    assert m.uncertainty == pytest.approx(0.1875)  # 0.75 · 0.25
    assert m.within_bin == pytest.approx(0.0, abs=1e-12)
    # Ferro & Fricker: bias term (2 · 0.25 / 1) / 4 = 0.125; RES gains UNC / (n − 1) = 0.0625
    assert m.reliability_corrected == pytest.approx(-0.0525)
    assert m.resolution_corrected == pytest.approx(0.0)
    assert m.uncertainty_corrected == pytest.approx(0.25)


def test_reliability_table_buckets_and_bands():
    table = cal.reliability_table([0.05, 0.95, 0.95, 1.0], [0, 1, 0, 1])
    assert len(table) == 10 and [b.count for b in table] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 3]
    top = table[-1]
    assert top.mean_forecast == pytest.approx(2.9 / 3) and top.observed == pytest.approx(2 / 3)
    assert (top.band_low, top.band_high) == pytest.approx(cal.wilson_interval(2, 3))
    assert math.isnan(table[4].observed) and table[4].consistent


def test_duration_scores_by_hand():
    pit = [0.05, 0.3, 0.5, 0.8, 0.95]
    assert cal.central_coverage(pit, 0.5) == pytest.approx(0.4)  # 0.3, 0.5 inside 25–75 %
    assert cal.central_coverage(pit, 0.8) == pytest.approx(0.6)  # 0.3, 0.5, 0.8 inside 10–90 %
    assert cal.pit_histogram(pit).tolist() == [1, 0, 0, 1, 0, 1, 0, 0, 1, 1]
    # widths 2; misses: 1 below by 1 → 2 + 10·1, 6 above by 2 → 2 + 10·2
    assert cal.interval_score([2, 2, 2], [4, 4, 4], [3, 1, 6], alpha=0.2) == pytest.approx(12.0)
    r = cal.log_ratio([2, 4, 8], [2, 2, 2])  # ln ratios 0, ln 2, ln 4
    assert (r.median, r.iqr, r.mad) == pytest.approx((math.log(2), math.log(2), math.log(2)))
    assert r.typical_factor == pytest.approx(2.0)


def test_slip_rate_by_hand():
    # x centred −10, 0, 10; y − ȳ = −11.67, −1.67, 13.33 → slope 250 / 200
    assert cal.slip_rate([0, 10, 20], [100, 110, 125]) == pytest.approx(1.25)
    assert math.isnan(cal.slip_rate([3], [4]))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="probabilities must lie in"):
        cal.brier_score([1.2], [1])
    with pytest.raises(ValueError, match="outcomes must be 0 or 1"):
        cal.brier_score([0.5], [2])
    with pytest.raises(ValueError, match="no forecasts"):
        cal.brier_score([], [])


# --- independent implementations on random data ------------------------------------------

forecasts = st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.booleans()), min_size=1, max_size=80)


def _loop_brier(pairs):
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def _loop_murphy(pairs, bins=10):
    groups = {}
    for p, y in pairs:
        groups.setdefault(min(int(p * bins), bins - 1), []).append((p, y))
    n, base = len(pairs), sum(y for _, y in pairs) / len(pairs)
    rel = (
        sum(len(g) * (sum(p for p, _ in g) / len(g) - sum(y for _, y in g) / len(g)) ** 2 for g in groups.values()) / n
    )
    res = sum(len(g) * (sum(y for _, y in g) / len(g) - base) ** 2 for g in groups.values()) / n
    return rel, res, base * (1 - base)


@settings(max_examples=60, deadline=None)
@given(forecasts)
def test_scores_match_loop_implementations(pairs):
    p = np.array([a for a, _ in pairs])
    y = np.array([float(b) for _, b in pairs])
    assert cal.brier_score(p, y) == pytest.approx(_loop_brier([(a, float(b)) for a, b in pairs]))
    m = cal.murphy_decomposition(p, y)
    assert (m.reliability, m.resolution, m.uncertainty) == pytest.approx(
        _loop_murphy([(a, float(b)) for a, b in pairs])
    )
    assert sum(b.count for b in cal.reliability_table(p, y)) == len(pairs)
    # The bias correction moves terms between REL and RES but keeps their sum with UNC.
    corrected = m.reliability_corrected - m.resolution_corrected + m.uncertainty_corrected
    assert corrected == pytest.approx(m.reliability - m.resolution + m.uncertainty)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.booleans()), min_size=1, max_size=80))
def test_murphy_identity_is_exact_for_binned_forecasts(pairs):
    p = np.array([(k + 0.5) / 10 for k, _ in pairs])  # one value per bin: BS = REL − RES + UNC exactly
    y = np.array([float(b) for _, b in pairs])
    m = cal.murphy_decomposition(p, y)
    assert m.brier == pytest.approx(m.reliability - m.resolution + m.uncertainty, abs=1e-12)
    assert m.within_bin == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 200), st.integers(1, 200))
def test_wilson_interval_contains_the_estimate(k, n):
    k = min(k, n)
    low, high = cal.wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
