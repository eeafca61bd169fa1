"""Type stub of the compiled scheduling kernel (ext/_kernel.pyx); call it through teamcast.ext.kernel.run_chunk
(or run_projects)."""

import numpy as np
import numpy.typing as npt

def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def schedule(
    pred_ptr: npt.NDArray[np.int64],
    pred_idx: npt.NDArray[np.int32],
    succ_ptr: npt.NDArray[np.int64],
    succ_idx: npt.NDArray[np.int32],
    task_project: npt.NDArray[np.int32],
    task_challenge: npt.NDArray[np.int32],
    task_approach_pos: npt.NDArray[np.int32],
    chal_ptr: npt.NDArray[np.int64],
    chal_tasks: npt.NDArray[np.int32],
    chal_strategy: npt.NDArray[np.uint8],
    chal_project: npt.NDArray[np.int32],
    dem_ptr: npt.NDArray[np.int64],
    dem_pool: npt.NDArray[np.int32],
    dem_count: npt.NDArray[np.int32],
    task_unit: npt.NDArray[np.int32],
    pool_ptr: npt.NDArray[np.int64],
    pool_units: npt.NDArray[np.int32],
    unit_pool: npt.NDArray[np.int32],
    unit_capacity: npt.NDArray[np.float64],
    unit_ramp_days: npt.NDArray[np.float64],
    unit_ramp_prod: npt.NDArray[np.float64],
    task_fixed: npt.NDArray[np.uint8],
    fixed_start: npt.NDArray[np.float64],
    fixed_finish: npt.NDArray[np.float64],
    prio_order: npt.NDArray[np.int32],
    effort: npt.NDArray[np.float64],
    success: npt.NDArray[np.uint8],
    arrival: npt.NDArray[np.float64],
    start: npt.NDArray[np.float64] | None,
    finish: npt.NDArray[np.float64] | None,
    state: npt.NDArray[np.uint8] | None,
    critical: npt.NDArray[np.uint8] | None,
    proj_finish: npt.NDArray[np.float64],
    proj_success: npt.NDArray[np.uint8],
    busy: npt.NDArray[np.float64] | None,
    n_threads: int = 1,
    held: npt.NDArray[np.int32] | None = None,
    detail: bool = True,
) -> None:
    """Fill the output arrays (start ... busy, and held if given) for every trial row of effort/success/arrival.

    With detail=False only proj_finish and proj_success are written; the other outputs may be None.
    """
