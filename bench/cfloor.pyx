# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The "C floor": a minimal parallel schedule generation scheme in plain C (via Cython), no teamcast code.

What the teamcast kernel does on a plan of anonymous role pools, stripped to the bone: tasks
need at most one unit of one pool, durations are given (sampled before timing), every task
succeeds, no challenges, hires, named people, calendars, criticality or utilisation. At each
completion time the ready tasks are walked in priority order and started where a unit is free
(a task that does not fit does not block later ones); ready tasks are kept in a small list sorted
by priority, running ones in a binary heap. It is the speed a kernel with those features cannot
beat by much: bench/run.py reports the kernel's time over this one's on the same trials.

Built on the fly into build/ by bench/run.py (never committed as generated code).
"""

from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc


cdef inline void heap_push(double* hf, int32_t* ht, int32_t* hn, double f, int32_t i) noexcept nogil:
    cdef int32_t k = hn[0], parent
    hn[0] += 1
    while k > 0:
        parent = (k - 1) >> 1
        if hf[parent] < f or (hf[parent] == f and ht[parent] < i):
            break
        hf[k] = hf[parent]
        ht[k] = ht[parent]
        k = parent
    hf[k] = f
    ht[k] = i


cdef inline int32_t heap_pop(double* hf, int32_t* ht, int32_t* hn) noexcept nogil:
    cdef int32_t top = ht[0], n, k = 0, child
    cdef double f
    cdef int32_t i
    hn[0] -= 1
    n = hn[0]
    f = hf[n]
    i = ht[n]
    while True:
        child = 2 * k + 1
        if child >= n:
            break
        if child + 1 < n and (hf[child + 1] < hf[child] or (hf[child + 1] == hf[child] and ht[child + 1] < ht[child])):
            child += 1
        if f < hf[child] or (f == hf[child] and i < ht[child]):
            break
        hf[k] = hf[child]
        ht[k] = ht[child]
        k = child
    hf[k] = f
    ht[k] = i
    return top


cdef inline void ready_insert(int32_t* ready, int32_t* nr, const int32_t* rank, int32_t i) noexcept nogil:
    cdef int32_t k = nr[0]
    while k > 0 and rank[ready[k - 1]] > rank[i]:
        ready[k] = ready[k - 1]
        k -= 1
    ready[k] = i
    nr[0] += 1


def schedule(
    const int64_t[::1] succ_ptr,
    const int32_t[::1] succ_idx,
    const int32_t[::1] n_preds,
    const int32_t[::1] task_pool,
    const int32_t[::1] pool_size,
    const int32_t[::1] rank,
    const double[:, ::1] duration,
    double[:, ::1] start,
    double[:, ::1] finish,
    double[::1] makespan,
):
    """Schedule every trial (row of `duration`); writes start, finish and makespan."""
    cdef Py_ssize_t n = duration.shape[0], T = duration.shape[1], P = pool_size.shape[0]
    cdef Py_ssize_t trial, j, q
    cdef int32_t i, s, k, nr, hn, pool
    cdef double t, f, span
    cdef int32_t* waiting = <int32_t*> malloc(T * sizeof(int32_t))
    cdef int32_t* free_units = <int32_t*> malloc((P + 1) * sizeof(int32_t))
    cdef int32_t* ready = <int32_t*> malloc(T * sizeof(int32_t))
    cdef int32_t* ht = <int32_t*> malloc(T * sizeof(int32_t))
    cdef double* hf = <double*> malloc(T * sizeof(double))
    if not waiting or not free_units or not ready or not ht or not hf:
        free(waiting); free(free_units); free(ready); free(ht); free(hf)
        raise MemoryError()
    with nogil:
        for trial in range(n):
            nr = 0
            hn = 0
            for j in range(T):
                waiting[j] = n_preds[j]
                if waiting[j] == 0:
                    ready_insert(ready, &nr, &rank[0], <int32_t> j)
            for q in range(P):
                free_units[q] = pool_size[q]
            t = 0.0
            span = 0.0
            while True:
                k = 0
                for j in range(nr):
                    i = ready[j]
                    pool = task_pool[i]
                    if pool < 0 or free_units[pool] > 0:
                        if pool >= 0:
                            free_units[pool] -= 1
                        f = t + duration[trial, i]
                        start[trial, i] = t
                        finish[trial, i] = f
                        if f > span:
                            span = f
                        heap_push(hf, ht, &hn, f, i)
                    else:
                        ready[k] = i
                        k += 1
                nr = k
                if hn == 0:
                    break
                t = hf[0]
                while hn > 0 and hf[0] == t:
                    i = heap_pop(hf, ht, &hn)
                    if task_pool[i] >= 0:
                        free_units[task_pool[i]] += 1
                    for q in range(succ_ptr[i], succ_ptr[i + 1]):
                        s = succ_idx[q]
                        waiting[s] -= 1
                        if waiting[s] == 0:
                            ready_insert(ready, &nr, &rank[0], s)
            makespan[trial] = span
    free(waiting); free(free_units); free(ready); free(ht); free(hf)
