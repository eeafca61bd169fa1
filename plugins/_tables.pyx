# cython: language_level=3
"""Compiled sampling loops of the built-in `pert` and `triangular` duration models.

Each is its model's NumPy expression (teamcast.plugins.pert._interpolate_with and
teamcast.plugins.triangular.quantile_reference, kept as the references) in one pass: the same
operations on the same float64 values in the same order, built with -ffp-contract=off so that
no multiply-add is fused, hence bit-identical values (tests/plugins/test_tables.py compares them
on many shapes). The NumPy versions make ten or so passes over a block with two gathers; here
each value is computed once and written straight into the caller's block.

The `sample_*` and `*_blocks` functions also draw the uniforms, through the generator's bit
generator (NumPy's C API, under its lock), in exactly the order `Generator.random` fills an array:
the same stream, so the same numbers, without a block of uniforms written out and read back. The
`*_blocks` functions take one or several blocks of trials at once, each block with its own
generator, into one (trials, tasks) array: every generator is drawn in its own block's order, so
each block's numbers are what that block alone would get.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from libc.float cimport DBL_MAX
from libc.math cimport sqrt
from libc.stdint cimport uint8_t
from libc.stdlib cimport free, malloc
from numpy.random cimport bitgen_t


cdef bitgen_t* _bitgen(object bit_generator) except NULL:
    capsule = bit_generator.capsule
    if not PyCapsule_IsValid(capsule, "BitGenerator"):
        raise ValueError("not a NumPy bit generator")
    return <bitgen_t*>PyCapsule_GetPointer(capsule, "BitGenerator")


cdef inline double _quantile(const double* start, const double* slope, double s, double grid_d, Py_ssize_t last,
                             double width, double low) noexcept nogil:
    """A table row's quantile at s = u * grid: NumPy's cell = min(int(s), grid - 1) (u == 1 lands in
    the last cell), written as a comparison first so that NaN never meets the undefined int conversion."""
    cdef Py_ssize_t cell = <Py_ssize_t>s if s < grid_d else last
    cdef double f = s - <double>cell
    cdef double v = slope[cell] * f
    v = v + start[cell]
    v = v * width
    return v + low


cdef inline double _triangular(double p, double below, double low, double high, double rise, double fall) noexcept nogil:
    """low + sqrt(p * rise) below the mode, high - sqrt((1 - p) * fall) above: one square root, no branch."""
    cdef bint left = p < below
    cdef double s = sqrt(p * rise if left else (1.0 - p) * fall)
    return low + s if left else high - s


cdef void _check_tables(const double[::1] start, const double[::1] slope, const long long[::1] base,
                        Py_ssize_t k, Py_ssize_t grid) except *:
    if start.shape[0] != slope.shape[0]:
        raise ValueError("start and slope differ in length")
    for j in range(k):
        if base[j] < 0 or base[j] + grid > start.shape[0]:
            raise ValueError("a table row is out of range")


def interpolate(
    const double[:, :] x,
    const double[::1] start,
    const double[::1] slope,
    const long long[::1] base,
    const double[::1] low,
    const double[::1] width,
    double[:, :] out,
    Py_ssize_t grid,
):
    """out[j, i] = (slope[c] * f + start[c]) * width[j] + low[j], where x[j, i] * grid = cell + f and
    c = base[j] + cell: task j's tabulated quantile function (cell starts and slopes of its table
    row, which begins at base[j]) at u = x[j, i] in [0, 1]. x and out are (tasks, trials), any strides."""
    cdef Py_ssize_t k = x.shape[0], n = x.shape[1], i, j
    cdef Py_ssize_t xs = x.strides[1], os = out.strides[1], last = grid - 1
    cdef double grid_d = <double>grid
    cdef const char* xp
    cdef char* op
    if out.shape[0] != k or out.shape[1] != n:
        raise ValueError(f"out has shape {(out.shape[0], out.shape[1])}, expected {(k, n)}")
    if base.shape[0] != k or low.shape[0] != k or width.shape[0] != k:
        raise ValueError("base, low and width need one value per task")
    _check_tables(start, slope, base, k, grid)
    if n == 0:
        return
    with nogil:
        for j in range(k):  # task by task: its two 16 KB table rows stay in the first-level cache
            xp = <const char*>&x[j, 0]
            op = <char*>&out[j, 0]
            for i in range(n):
                (<double*>(op + i * os))[0] = _quantile(
                    &start[base[j]], &slope[base[j]], (<const double*>(xp + i * xs))[0] * grid_d, grid_d, last,
                    width[j], low[j]
                )


cdef class _Generators:
    """The bit generators of several blocks, locked while their C states are in use."""
    cdef bitgen_t** rng
    cdef Py_ssize_t* first  # first row of each block in the output
    cdef Py_ssize_t count
    cdef list locked

    def __cinit__(self, list bit_generators, const long long[::1] sizes, Py_ssize_t rows):
        cdef Py_ssize_t b, total = 0
        self.count = len(bit_generators)
        self.locked = []
        if sizes.shape[0] != self.count:
            raise ValueError("one size per bit generator")
        self.rng = <bitgen_t**>malloc(max(self.count, 1) * sizeof(bitgen_t*))
        self.first = <Py_ssize_t*>malloc((self.count + 1) * sizeof(Py_ssize_t))
        if self.rng == NULL or self.first == NULL:
            raise MemoryError()
        for b in range(self.count):
            if sizes[b] < 0:
                raise ValueError("a block size is negative")
            self.rng[b] = _bitgen(bit_generators[b])
            self.first[b] = total
            total += sizes[b]
        self.first[self.count] = total
        if total != rows:
            raise ValueError(f"the blocks have {total} trials, the output {rows} rows")
        for bg in bit_generators:
            lock = bg.lock
            lock.acquire()
            self.locked.append(lock)

    def release(self):
        while self.locked:
            self.locked.pop().release()

    def __dealloc__(self):
        free(self.rng)
        free(self.first)


def sample_pert_blocks(
    list bit_generators,
    const long long[::1] sizes,
    const double[::1] start,
    const double[::1] slope,
    const long long[::1] base,
    const double[::1] low,
    const double[::1] width,
    double[:, ::1] out,
    Py_ssize_t grid,
):
    """interpolate(generator.random((k, sizes[b])), ...) for each block b, drawn from bit_generators[b]
    task by task as that call would draw them, into the next sizes[b] rows of the row-major
    (trials, tasks) `out`. Task by task, every block's values of the task are computed before the
    next task's: each table row is read into the cache once per chunk of blocks rather than once
    per block. Uniforms a batch at a time: the generator's loop and the gathers each run at full
    speed apart (interleaved, the call into the generator stalls the gathers)."""
    cdef Py_ssize_t n = out.shape[0], k = out.shape[1], i, j, b, first, m, stop, last = grid - 1
    cdef double grid_d = <double>grid
    cdef const double* st
    cdef const double* sl
    cdef double w, lo
    cdef double* op
    cdef bitgen_t* rng
    cdef double u[256]
    if base.shape[0] != k or low.shape[0] != k or width.shape[0] != k:
        raise ValueError("base, low and width need one value per task")
    _check_tables(start, slope, base, k, grid)
    cdef _Generators gens = _Generators(bit_generators, sizes, n)
    try:
        if n == 0 or k == 0:
            return
        op = &out[0, 0]
        with nogil:
            for j in range(k):
                st = &start[base[j]]
                sl = &slope[base[j]]
                w = width[j]
                lo = low[j]
                for b in range(gens.count):
                    rng = gens.rng[b]
                    first = gens.first[b]
                    stop = gens.first[b + 1]
                    while first < stop:
                        m = min(256, stop - first)
                        for i in range(m):
                            u[i] = rng.next_double(rng.state)
                        for i in range(m):
                            op[(first + i) * k + j] = _quantile(st, sl, u[i] * grid_d, grid_d, last, w, lo)
                        first += m
    finally:
        gens.release()


def bernoulli_blocks(list bit_generators, const long long[::1] sizes, const double[::1] p, uint8_t[:, ::1] out):
    """out[i, j] = generator.random((sizes[b], k))[i', j] < p[j] for each block b (rows of `out` in
    block order, i' the row within its block), with bit_generators[b]'s stream: the built-in
    bernoulli success model, without the block of uniforms."""
    cdef Py_ssize_t n = out.shape[0], k = out.shape[1], i, j, b
    cdef bitgen_t* rng
    cdef uint8_t* row
    cdef const double* pp
    if p.shape[0] != k:
        raise ValueError("p needs one value per task")
    cdef _Generators gens = _Generators(bit_generators, sizes, n)
    try:
        if n == 0 or k == 0:
            return
        pp = &p[0]
        with nogil:
            for b in range(gens.count):
                rng = gens.rng[b]
                for i in range(gens.first[b], gens.first[b + 1]):
                    row = &out[i, 0]
                    for j in range(k):
                        row[j] = rng.next_double(rng.state) < pp[j]
    finally:
        gens.release()


def triangular(
    const double[:, :] u,
    const double[::1] below,
    const double[::1] low,
    const double[::1] high,
    const double[::1] rise,
    const double[::1] fall,
    double[:, :] out,
):
    """out[i, j] = low[j] + sqrt(p * rise[j]) where p = u[i, j] < below[j], else high[j] - sqrt((1 - p) * fall[j]):
    the triangular quantile (rise = width * (likely - low), fall = width * (high - likely)). u and out
    are (trials, tasks), any strides, and may be the same array; u must be in [0, 1]. Returns whether
    every value written is finite and non-negative."""
    cdef Py_ssize_t n = u.shape[0], k = u.shape[1], i, j
    cdef double v
    cdef bint ok = True
    if out.shape[0] != n or out.shape[1] != k:
        raise ValueError(f"out has shape {(out.shape[0], out.shape[1])}, expected {(n, k)}")
    if below.shape[0] != k or low.shape[0] != k or high.shape[0] != k or rise.shape[0] != k or fall.shape[0] != k:
        raise ValueError("below, low, high, rise and fall need one value per task")
    with nogil:
        for i in range(n):
            for j in range(k):
                v = _triangular(u[i, j], below[j], low[j], high[j], rise[j], fall[j])
                out[i, j] = v
                ok = ok & (v >= 0.0) & (v <= DBL_MAX)
    return ok


def sample_triangular(
    object bit_generator,
    const double[::1] below,
    const double[::1] low,
    const double[::1] high,
    const double[::1] rise,
    const double[::1] fall,
    double[:, ::1] out,
):
    """triangular(bit_generator's generator.random((n, k)), ...) into the row-major (n, k) `out`.
    Returns whether every value written is finite and non-negative."""
    cdef Py_ssize_t n = out.shape[0], k = out.shape[1], i, j
    cdef double v
    cdef bint ok = True
    cdef bitgen_t* rng = _bitgen(bit_generator)
    if below.shape[0] != k or low.shape[0] != k or high.shape[0] != k or rise.shape[0] != k or fall.shape[0] != k:
        raise ValueError("below, low, high, rise and fall need one value per task")
    with bit_generator.lock:
        with nogil:
            for i in range(n):
                for j in range(k):
                    v = _triangular(rng.next_double(rng.state), below[j], low[j], high[j], rise[j], fall[j])
                    out[i, j] = v
                    ok = ok & (v >= 0.0) & (v <= DBL_MAX)
    return ok
