"""Type stub of the compiled sampling loops of pert and triangular (plugins/_tables.pyx)."""

import numpy as np
import numpy.typing as npt

def interpolate(
    x: npt.NDArray[np.float64],
    start: npt.NDArray[np.float64],
    slope: npt.NDArray[np.float64],
    base: npt.NDArray[np.int64],
    low: npt.NDArray[np.float64],
    width: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    grid: int,
) -> None: ...
def triangular(
    u: npt.NDArray[np.float64],
    below: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    rise: npt.NDArray[np.float64],
    fall: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> bool: ...
def sample_triangular(
    bit_generator: np.random.BitGenerator,
    below: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    rise: npt.NDArray[np.float64],
    fall: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> bool: ...
def sample_pert_blocks(
    bit_generators: list[np.random.BitGenerator],
    sizes: npt.NDArray[np.int64],
    start: npt.NDArray[np.float64],
    slope: npt.NDArray[np.float64],
    base: npt.NDArray[np.int64],
    low: npt.NDArray[np.float64],
    width: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    grid: int,
) -> None: ...
def bernoulli_blocks(
    bit_generators: list[np.random.BitGenerator],
    sizes: npt.NDArray[np.int64],
    p: npt.NDArray[np.float64],
    out: npt.NDArray[np.uint8],
) -> None: ...
