"""Type stub of the serial schedule generation scheme (ext/_serial.pyx); call it through teamcast.ext.serial."""

import numpy as np
import numpy.typing as npt

MODE_LIST: int
MODE_PINNED: int
MODE_SKIP: int

def schedule(
    order: npt.NDArray[np.int32],
    dur: npt.NDArray[np.float64],
    pred_ptr: npt.NDArray[np.int64],
    pred_idx: npt.NDArray[np.int32],
    succ_ptr: npt.NDArray[np.int64],
    succ_idx: npt.NDArray[np.int32],
    dem_ptr: npt.NDArray[np.int64],
    dem_pool: npt.NDArray[np.int32],
    dem_count: npt.NDArray[np.int32],
    cap_time: npt.NDArray[np.float64],
    cap_free: npt.NDArray[np.int32],
    mode: npt.NDArray[np.uint8],
    pin_start: npt.NDArray[np.float64],
    start: npt.NDArray[np.float64],
    placed: npt.NDArray[np.int32],
) -> float: ...
