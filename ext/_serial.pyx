# cython: language_level=3
"""The serial schedule generation scheme (Kelley 1963; Kolisch 1996) on a resource profile.

Tasks are taken one at a time in activity-list order (repaired to respect precedence: the
first listed task whose predecessors are all scheduled goes next) and each starts at the
earliest time >= its predecessors' finish at which every pool it needs has enough free units
for its whole duration (zero-length work holds nothing and starts when ready). Unlike the kernel's parallel scheme, a task may start later than a
moment at which it would fit, so that earlier-listed work goes first: the serial scheme
reaches every active schedule, the parallel one only non-delay schedules.

The profile is a list of segments [time[s], time[s+1]) (the last one open-ended), each with the
free units of every pool. Pinned tasks (work in progress) are placed first at their given
start; skipped tasks (done work) are not placed and count as finished at 0.
The typed wrapper is teamcast.ext.serial; the array contract is in its docstrings.
"""

import numpy as np

cimport numpy as cnp

from libc.math cimport NAN

cnp.import_array()

MODE_LIST = 0
MODE_PINNED = 1
MODE_SKIP = 2
cdef enum:
    C_PINNED = 1
    C_SKIP = 2


cdef inline Py_ssize_t _segment(double[::1] ptime, Py_ssize_t nseg, double t) noexcept nogil:
    """The segment containing t (binary search; t >= ptime[0])."""
    cdef Py_ssize_t lo = 0, hi = nseg - 1, mid
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ptime[mid] <= t:
            lo = mid
        else:
            hi = mid - 1
    return lo


cdef inline Py_ssize_t _split(double[::1] ptime, int[:, ::1] pfree, Py_ssize_t nseg, double t,
                              Py_ssize_t* seg) noexcept nogil:
    """Make t a segment boundary; returns the new segment count, `seg` the segment starting at t."""
    cdef Py_ssize_t s = _segment(ptime, nseg, t), j, k
    cdef Py_ssize_t K = pfree.shape[1]
    if ptime[s] == t:
        seg[0] = s
        return nseg
    j = nseg
    while j > s + 1:
        ptime[j] = ptime[j - 1]
        for k in range(K):
            pfree[j, k] = pfree[j - 1, k]
        j -= 1
    ptime[s + 1] = t
    for k in range(K):
        pfree[s + 1, k] = pfree[s, k]
    seg[0] = s + 1
    return nseg + 1


cdef inline bint _fits(int[:, ::1] pfree, Py_ssize_t s, const long long[::1] dem_ptr, const int[::1] dem_pool,
                       const int[::1] dem_count, Py_ssize_t j) noexcept nogil:
    cdef long long d
    for d in range(dem_ptr[j], dem_ptr[j + 1]):
        if pfree[s, dem_pool[d]] < dem_count[d]:
            return False
    return True


cdef inline Py_ssize_t _reserve(double[::1] ptime, int[:, ::1] pfree, Py_ssize_t nseg, double t, double end,
                                const long long[::1] dem_ptr, const int[::1] dem_pool, const int[::1] dem_count,
                                Py_ssize_t j) noexcept nogil:
    """Take task j's units over [t, end) from the profile; returns the new segment count."""
    cdef Py_ssize_t s, s0, s1
    cdef long long d
    nseg = _split(ptime, pfree, nseg, t, &s0)
    if end > t:
        nseg = _split(ptime, pfree, nseg, end, &s1)
        for s in range(s0, s1):
            for d in range(dem_ptr[j], dem_ptr[j + 1]):
                pfree[s, dem_pool[d]] -= dem_count[d]
    return nseg


def schedule(
    const int[::1] order,
    const double[::1] dur,
    const long long[::1] pred_ptr,
    const int[::1] pred_idx,
    const long long[::1] succ_ptr,
    const int[::1] succ_idx,
    const long long[::1] dem_ptr,
    const int[::1] dem_pool,
    const int[::1] dem_count,
    const double[::1] cap_time,
    const int[:, ::1] cap_free,
    const unsigned char[::1] mode,
    const double[::1] pin_start,
    double[::1] start,
    int[::1] placed,
):
    """Serial SGS of `order` (every task index once). Writes `start` (NaN for skipped tasks) and
    `placed` (the tasks in the order they were placed). Returns the makespan (0 if none placed).
    Raises ValueError when a task needs more units than a pool ever has."""
    cdef Py_ssize_t n = dur.shape[0], K = cap_free.shape[1], n0 = cap_time.shape[0]
    cdef Py_ssize_t cap = n0 + 2 * n + 2
    ptime_arr = np.empty(cap, dtype=np.float64)
    pfree_arr = np.zeros((cap, max(K, 1)), dtype=np.int32)
    rem_arr = np.empty(n, dtype=np.int32)
    done_arr = np.zeros(n, dtype=np.uint8)
    fin_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] ptime = ptime_arr
    cdef int[:, ::1] pfree = pfree_arr
    cdef int[::1] rem = rem_arr
    cdef unsigned char[::1] done = done_arr
    cdef double[::1] fin = fin_arr
    cdef Py_ssize_t nseg = n0, s, i, j, k, first = 0, count = 0
    cdef long long p
    cdef double t, es, end, makespan = 0.0
    cdef bint stuck = False
    for s in range(n0):
        ptime[s] = cap_time[s]
        for k in range(K):
            pfree[s, k] = cap_free[s, k]
    with nogil:
        for j in range(n):
            start[j] = NAN
        # Skipped tasks: finished at 0 for their successors; pinned ones: placed first, as given.
        for j in range(n):
            if mode[j] == C_SKIP:
                done[j] = 1
        for j in range(n):
            if mode[j] == C_PINNED:
                t = pin_start[j]
                end = t + dur[j]
                nseg = _reserve(ptime, pfree, nseg, t, end, dem_ptr, dem_pool, dem_count, j)
                start[j] = t
                fin[j] = end
                done[j] = 1
                placed[count] = <int>j
                count += 1
                if end > makespan:
                    makespan = end
        # Successor counts: a pinned predecessor is already placed.
        for j in range(n):
            if not done[j]:
                rem[j] = 0
                for p in range(pred_ptr[j], pred_ptr[j + 1]):
                    if not done[pred_idx[p]]:
                        rem[j] += 1
        while True:
            while first < n and done[order[first]]:
                first += 1
            if first >= n:
                break
            j = -1
            for i in range(first, n):
                if not done[order[i]] and rem[order[i]] == 0:
                    j = order[i]
                    break
            if j < 0:
                stuck = True  # a precedence cycle: cannot happen in a validated plan
                break
            es = 0.0
            for p in range(pred_ptr[j], pred_ptr[j + 1]):
                if mode[pred_idx[p]] != C_SKIP and fin[pred_idx[p]] > es:
                    es = fin[pred_idx[p]]
            t = es
            s = _segment(ptime, nseg, t)
            if dur[j] <= 0.0:
                pass  # zero-length work (a milestone) holds no unit for any time: it starts when ready
            else:
                i = s  # check every segment overlapping [t, t + dur)
                while True:
                    if i >= nseg or ptime[i] >= t + dur[j]:
                        break
                    if _fits(pfree, i, dem_ptr, dem_pool, dem_count, j):
                        i += 1
                        continue
                    if i + 1 >= nseg:
                        stuck = True
                        break
                    t = ptime[i + 1]
                    i += 1
            if stuck:
                break
            end = t + dur[j]
            nseg = _reserve(ptime, pfree, nseg, t, end, dem_ptr, dem_pool, dem_count, j)
            start[j] = t
            fin[j] = end
            done[j] = 1
            placed[count] = <int>j
            count += 1
            if end > makespan:
                makespan = end
            for p in range(succ_ptr[j], succ_ptr[j + 1]):
                rem[succ_idx[p]] -= 1
    if stuck:
        raise ValueError("a task needs more units than its pool ever has, or the precedences form a cycle")
    return makespan
