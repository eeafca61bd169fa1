"""Type stub of ext/_stats.pyx; call it through teamcast.ext.stats."""

import numpy as np
import numpy.typing as npt

def column_percentiles(
    values: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    percentiles: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    col_min: npt.NDArray[np.float32] | npt.NDArray[np.float64] | None = None,
    col_max: npt.NDArray[np.float32] | npt.NDArray[np.float64] | None = None,
    col_count: npt.NDArray[np.int64] | None = None,
) -> None: ...
def rank_correlations(
    duration: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    y: npt.NDArray[np.float64],
    sy: float,
    out: npt.NDArray[np.float64],
) -> None: ...
def tally(
    state: npt.NDArray[np.uint8],
    critical: npt.NDArray[np.uint8],
    finish: npt.NDArray[np.float64],
    ran: npt.NDArray[np.int64],
    succeeded: npt.NDArray[np.int64],
    crit: npt.NDArray[np.int64],
    makespan: npt.NDArray[np.float64],
    kept: npt.NDArray[np.float32],
    start: npt.NDArray[np.float64],
    duration: npt.NDArray[np.float32],
    kept_min: npt.NDArray[np.float32],
    kept_max: npt.NDArray[np.float32],
    kept_count: npt.NDArray[np.int64],
) -> None: ...
