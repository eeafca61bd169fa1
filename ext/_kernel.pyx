"""The scheduling kernel: event-driven dispatch of many sampled trials of one plan.

Implements docs/simulation.md exactly (the pure-Python oracle in tests/ext/oracle.py is the
reference). Arrays in, arrays out: the wrapper in teamcast.ext.kernel validates shapes and
allocates the outputs; this module assumes valid input and writes every entry of every
output row (NaN and zeros for a task that never runs), so outputs need no filling and may be
reused. Each trial is independent, so trials are spread over OpenMP threads and the results
do not depend on the thread count.

Two shortcuts give the same schedules as the event loop, bit for bit: a plan whose tasks hold
no units and that has no challenges is one forward pass in topological order
(forward_trial), and a caller that reads only the projects' outputs (`detail=False`, the
optimiser) gets no causes, binding chains or per-task rows.
"""

from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, NAN
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memmove, memset

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define TC_OPENMP 1
    #define tc_max_threads() omp_get_max_threads()
    #else
    #define TC_OPENMP 0
    #define tc_max_threads() 1
    #endif
    """
    const int TC_OPENMP
    int tc_max_threads() nogil
    int tc_ctz "__builtin_ctzll" (uint64_t x) nogil

cdef extern from *:
    # Python builds extensions with -fwrapv (signed overflow wraps), which keeps GCC from
    # treating int32 indices as non-overflowing: every a[i + 1] re-extends i to 64 bits and
    # loops are not strength-reduced. The kernel's integer arithmetic never overflows, so it
    # is compiled without it: about 7 % less CPU time on net200 with pools (A/B builds).
    """
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC optimize ("no-wrapv")
    #endif
    """

cdef extern from *:
    """
    #include <string.h>
    static inline uint64_t tc_bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
    static inline double tc_double(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
    """
    uint64_t tc_bits(double x) nogil
    double tc_double(uint64_t u) nogil

# Internal task states; the public `state` output (0..3) is written when a task ends.
cdef enum:
    WAITING = 0
    RUNNING = 1
    SUCCEEDED = 2
    FAILED = 3
    ABANDONED = 4
    SKIPPED = 5

cdef enum:
    CHAL_OPEN = 0
    CHAL_WON = 1
    CHAL_LOST = 2

cdef enum:
    SEQUENTIAL = 1

# Added to a task's count of unmet conditions so that it never reaches zero: a task that can
# no longer become ready (skipped, fixed, started as work in progress, an approach passed over).
# A task gets it at most twice, so the count stays far from int32's end.
cdef enum:
    NEVER_READY = 1 << 28

# Trials a thread takes at a time. Threads take blocks as they become free (dynamic schedule),
# so a thread that the OS holds back on a busy machine leaves its share to the others, where a
# static split made every thread wait for the slowest. Each trial writes only its own rows and
# starts from a reset state, so the results do not depend on which thread ran it.
cdef enum:
    TRIAL_BLOCK = 32


ctypedef struct Plan:
    # The plan's arrays (see "Kernel input") plus what is derived from them once per call.
    int32_t n_tasks
    int32_t n_chal
    int32_t n_units
    int32_t n_pools
    int32_t n_proj
    const int64_t* pred_ptr
    const int32_t* pred_idx
    const int64_t* succ_ptr
    const int32_t* succ_idx
    const int32_t* task_project
    const int32_t* task_challenge
    const int32_t* task_approach_pos
    const int64_t* chal_ptr
    const int32_t* chal_tasks
    const uint8_t* chal_strategy
    const int32_t* chal_project
    const int64_t* dem_ptr
    const int32_t* dem_pool
    const int32_t* dem_count
    const int32_t* task_unit
    const int64_t* pool_ptr
    const int32_t* pool_units
    const int32_t* unit_pool
    const double* unit_capacity
    const double* unit_ramp_days
    const double* unit_ramp_prod
    const uint8_t* task_fixed
    const double* fixed_start
    const double* fixed_finish
    const int32_t* prio_order
    int32_t* rank          # position of each task in prio_order
    int32_t* npred0        # unsatisfied conditions of each task before anything happens
    int64_t* hold_ptr      # where each task's taken units are stored in Scratch.held
    int32_t* unit_slot     # position of each unit in pool_units (its bit in Scratch.free_bits)
    int32_t n_unit_words   # 64-bit words of the free-unit bitset
    # Ready tasks are kept in one list per pool for tasks that need units of that pool only
    # (one demand, or just a named person of the pool), then a list for any other task
    # needing units, then one for tasks needing none.
    int32_t n_lists
    int32_t n_words        # 64-bit words of one list's bitset over ranks
    int32_t* task_list     # the list each task joins when it becomes ready
    # By rank, so that a pool's pass reads what it needs next to prio_order instead of
    # through the chain prio_order -> dem_ptr -> dem_count: the units of the task's one demand.
    int32_t* rank_need
    # Pools (of the first 64) whose list holds only tasks needing one unit of the pool and no
    # one by name: while such a pool has a free unit, its best ready task fits (advance_simple).
    uint64_t simple_pools
    # The state every trial starts from, before fixed tasks are resolved (copied per trial).
    int32_t* tstate0
    uint64_t* ready0
    int32_t* list_n0
    int32_t* fixed_tasks   # done/failed tasks, then `doing` tasks, each in index order
    int32_t* proj_need     # non-approach tasks of each project: all must succeed
    int32_t n_fixed
    int32_t n_doing
    bint any_ramp
    # Every unit works at capacity exactly 1 and none ramps: a task's duration is its effort
    # (effort / 1.0 is effort, bit for bit), so starts need no division.
    bint unit_rate_one
    bint can_abandon       # a parallel challenge of two or more approaches exists
    # A plan where no task holds units and there are no challenges is scheduled by one pass
    # in topological order (see forward_trial), not by events.
    bint forward
    int32_t* topo          # every task, predecessors first (when `forward`)
    # Per-task rows, criticality and utilisation go to the caller (else to the thread's own
    # rows, overwritten each trial: an evaluation that reads only the projects' outputs).
    bint detail


ctypedef struct Event:
    # A running task's completion; the heap orders by (finish, task) so that completions at
    # one time come out in increasing task index, as step 3.1 processes them.
    # Finish times are never negative, -0.0 or NaN (they start at t >= +0.0 and only grow),
    # and the bits of such doubles order as unsigned integers do: the heap compares the
    # bits, integer tests that need no branch, where a double's equality test needs two.
    uint64_t key           # the bits of the finish time
    int32_t task


ctypedef struct Scratch:
    # One thread's working state for one trial, allocated once per call.
    # Flags are int32: byte stores may alias any field, which would force reloads everywhere.
    int32_t* tstate
    int32_t* npred
    int32_t* cause
    double* ctime          # T + C: when a task completed / a challenge was won (0 for fixed)
    # Waiting tasks whose conditions hold, per list as a bitset over ranks (bit r of list l:
    # the task prio_order[r]). Inserting and removing are one bit each, and a pass walks a
    # list in priority order with a bit scan, where a sorted array needed shifting on both.
    uint64_t* ready
    int32_t* list_n        # tasks in each list
    int32_t* list_lo       # each list's words below this one are all zero
    int32_t* list_r        # cursor of a dispatch pass: the next rank to try
    int32_t n_ready
    # Completions of running tasks as a binary heap: the next event is at the top, where a
    # scan of every running task per event cost the most on plans that run many at once.
    # An abandoned task's entry stays in the heap and is dropped when it reaches the top.
    Event* heap
    int32_t n_heap
    int32_t* stack
    int32_t top
    int32_t* held
    int32_t* cstate
    int32_t* cnout         # approaches of each challenge that failed or were skipped
    int32_t* cwinner
    # Free units as a bitset over positions in pool_units, so each pool is a run of bits in
    # unit order: its lowest free unit is a bit scan rather than a walk over its members.
    uint64_t* free_bits
    int32_t* pool_free
    int32_t n_free
    # Pools whose units or ready list changed since their last pass (all when there are more
    # than 64 pools): a pool with neither can start nothing new, so the pass skips it.
    uint64_t dirty
    # The task that last released each unit, and for each taken unit (by hold slot) the
    # task that had released it before the taker took it: enough to find, after the trial,
    # which release let a task start (its cause), for the few tasks on a binding chain.
    int32_t* last_rel_task
    int32_t* prev_rel
    int32_t n_ended        # tasks that ran (or were fixed) and ended: the rest never ran
    int32_t* arr_units
    double* arr_times
    double* ends
    # Per project, kept as tasks end so that no pass over all tasks is needed after a trial:
    # the task with the latest finish (ties: lowest index) and its non-approach successes.
    int32_t* best
    int32_t* proj_ok
    # Rows of the current trial.
    const double* effort
    const uint8_t* success
    const double* arrival
    double* start
    double* finish
    double* busy
    uint8_t* state
    double* proj_finish
    # The thread's own rows, used in place of the caller's when `detail` is off.
    double* own_start
    double* own_finish
    double* own_busy
    uint8_t* own_state


cdef void* line_alloc(size_t size) noexcept nogil:
    """`size` bytes with a cache line of padding on either side (free with line_free): the
    threads' scratch memory then shares no cache line, so one thread's writes never evict
    another's scratch, wherever the allocator puts the blocks."""
    cdef char* block = <char*> malloc(size + 128)
    return NULL if block == NULL else block + 64


cdef void line_free(void* ptr) noexcept nogil:
    if ptr != NULL:
        free(<char*> ptr - 64)


cdef Scratch* scratch_new(const Plan* p) noexcept nogil:
    cdef:
        Scratch* s = <Scratch*> line_alloc(sizeof(Scratch))
        size_t t = p.n_tasks + 1
        size_t nodes = p.n_tasks + p.n_chal + 1
        size_t c = p.n_chal + 1
        size_t u = p.n_units + 1
        size_t k = p.n_pools + 1
        size_t pr = p.n_proj + 1
    if s == NULL:
        return NULL
    memset(s, 0, sizeof(Scratch))
    s.tstate = <int32_t*> line_alloc(t * sizeof(int32_t))
    s.npred = <int32_t*> line_alloc(t * sizeof(int32_t))
    s.cause = <int32_t*> line_alloc(t * sizeof(int32_t))
    s.ctime = <double*> line_alloc(nodes * sizeof(double))
    s.ready = <uint64_t*> line_alloc((p.n_lists * p.n_words + 1) * sizeof(uint64_t))
    s.list_n = <int32_t*> line_alloc(p.n_lists * sizeof(int32_t))
    s.list_lo = <int32_t*> line_alloc(p.n_lists * sizeof(int32_t))
    s.list_r = <int32_t*> line_alloc(p.n_lists * sizeof(int32_t))
    s.heap = <Event*> line_alloc(t * sizeof(Event))
    s.stack = <int32_t*> line_alloc(t * sizeof(int32_t))
    s.held = <int32_t*> line_alloc((p.hold_ptr[p.n_tasks] + 1) * sizeof(int32_t))
    s.cstate = <int32_t*> line_alloc(c * sizeof(int32_t))
    s.cnout = <int32_t*> line_alloc(c * sizeof(int32_t))
    s.cwinner = <int32_t*> line_alloc(c * sizeof(int32_t))
    s.free_bits = <uint64_t*> line_alloc((p.n_unit_words + 1) * sizeof(uint64_t))
    s.pool_free = <int32_t*> line_alloc(k * sizeof(int32_t))
    s.prev_rel = <int32_t*> line_alloc((p.hold_ptr[p.n_tasks] + 1) * sizeof(int32_t))
    s.last_rel_task = <int32_t*> line_alloc(u * sizeof(int32_t))
    s.arr_units = <int32_t*> line_alloc(u * sizeof(int32_t))
    s.arr_times = <double*> line_alloc(u * sizeof(double))
    s.ends = <double*> line_alloc(u * sizeof(double))
    s.best = <int32_t*> line_alloc(pr * sizeof(int32_t))
    s.proj_ok = <int32_t*> line_alloc(pr * sizeof(int32_t))
    s.own_start = <double*> line_alloc(t * sizeof(double))
    s.own_finish = <double*> line_alloc(t * sizeof(double))
    s.own_busy = <double*> line_alloc(u * sizeof(double))
    s.own_state = <uint8_t*> line_alloc(t * sizeof(uint8_t))
    return s


cdef bint scratch_ok(const Scratch* s) noexcept nogil:
    return (
        s.tstate != NULL and s.npred != NULL and s.cause != NULL
        and s.ctime != NULL and s.ready != NULL and s.list_n != NULL
        and s.list_lo != NULL and s.list_r != NULL and s.heap != NULL
        and s.stack != NULL and s.held != NULL and s.cstate != NULL and s.cnout != NULL
        and s.cwinner != NULL and s.free_bits != NULL and s.pool_free != NULL
        and s.prev_rel != NULL and s.last_rel_task != NULL and s.arr_units != NULL
        and s.arr_times != NULL and s.ends != NULL and s.best != NULL and s.proj_ok != NULL
        and s.own_start != NULL and s.own_finish != NULL and s.own_busy != NULL and s.own_state != NULL
    )


cdef void scratch_free(Scratch* s) noexcept nogil:
    if s == NULL:
        return
    line_free(s.tstate); line_free(s.npred); line_free(s.cause); line_free(s.ctime)
    line_free(s.ready); line_free(s.list_n); line_free(s.list_lo); line_free(s.list_r)
    line_free(s.heap); line_free(s.stack); line_free(s.held)
    line_free(s.cstate); line_free(s.cnout); line_free(s.cwinner); line_free(s.free_bits); line_free(s.pool_free)
    line_free(s.prev_rel); line_free(s.last_rel_task); line_free(s.arr_units); line_free(s.arr_times)
    line_free(s.ends); line_free(s.best); line_free(s.proj_ok)
    line_free(s.own_start); line_free(s.own_finish); line_free(s.own_busy); line_free(s.own_state)
    line_free(s)


# ---------------------------------------------------------------- ready list and units

cdef inline bint is_ready(const Plan* p, const Scratch* s, int32_t i) noexcept nogil:
    cdef int32_t r = p.rank[i]
    return (s.ready[<int64_t> p.task_list[i] * p.n_words + (r >> 6)] >> (r & 63)) & 1


cdef inline void ready_insert(const Plan* p, Scratch* s, int32_t i) noexcept nogil:
    cdef:
        int32_t l = p.task_list[i], r = p.rank[i], w = r >> 6
    s.ready[<int64_t> l * p.n_words + w] |= (<uint64_t> 1) << (r & 63)
    s.dirty |= (<uint64_t> 1) << (l & 63)
    if w < s.list_lo[l]:
        s.list_lo[l] = w
    s.list_n[l] += 1
    s.n_ready += 1


cdef inline void ready_clear(const Plan* p, Scratch* s, int32_t l, int32_t r) noexcept nogil:
    """Remove the task of rank `r` from list `l`."""
    s.ready[<int64_t> l * p.n_words + (r >> 6)] &= ~((<uint64_t> 1) << (r & 63))
    s.list_n[l] -= 1
    s.n_ready -= 1


cdef inline void ready_remove(const Plan* p, Scratch* s, int32_t i) noexcept nogil:
    ready_clear(p, s, p.task_list[i], p.rank[i])


cdef inline int32_t next_ready(const Plan* p, Scratch* s, int32_t l, int32_t r) noexcept nogil:
    """The lowest rank >= `r` in list `l`, or n_tasks when there is none."""
    cdef:
        const uint64_t* bits = s.ready + <int64_t> l * p.n_words
        int32_t w = s.list_lo[l]
        uint64_t x
    if r <= (w << 6):
        # A scan from the list's lowest live word: the empty words it passes stay empty
        # until an insert below them, so list_lo moves up and later scans skip them.
        while w < p.n_words and bits[w] == 0:
            w += 1
        s.list_lo[l] = w
        if w == p.n_words:
            return p.n_tasks
        return (w << 6) + tc_ctz(bits[w])
    w = r >> 6
    if w >= p.n_words:
        return p.n_tasks
    x = bits[w] & ((~(<uint64_t> 0)) << (r & 63))
    while x == 0:
        w += 1
        if w == p.n_words:
            return p.n_tasks
        x = bits[w]
    return (w << 6) + tc_ctz(x)


cdef inline bint unit_free(const Plan* p, const Scratch* s, int32_t u) noexcept nogil:
    cdef int32_t j = p.unit_slot[u]
    return (s.free_bits[j >> 6] >> (j & 63)) & 1


cdef inline void unit_take(const Plan* p, Scratch* s, int32_t u) noexcept nogil:
    cdef int32_t j = p.unit_slot[u]
    s.free_bits[j >> 6] &= ~((<uint64_t> 1) << (j & 63))
    s.pool_free[p.unit_pool[u]] -= 1
    s.n_free -= 1


cdef inline void unit_give(const Plan* p, Scratch* s, int32_t u) noexcept nogil:
    cdef int32_t j = p.unit_slot[u], k = p.unit_pool[u]
    s.free_bits[j >> 6] |= (<uint64_t> 1) << (j & 63)
    s.pool_free[k] += 1
    s.n_free += 1
    s.dirty |= (<uint64_t> 1) << (k & 63)


cdef inline int64_t lowest_free(const Scratch* s, int64_t lo, int64_t hi) noexcept nogil:
    """The lowest free position in [lo, hi) of pool_units, or -1."""
    cdef:
        int64_t w = lo >> 6
        uint64_t x
    if lo >= hi:
        return -1
    x = s.free_bits[w] & ((~(<uint64_t> 0)) << (lo & 63))
    while x == 0:
        w += 1
        if (w << 6) >= hi:
            return -1
        x = s.free_bits[w]
    lo = (w << 6) + tc_ctz(x)
    return lo if lo < hi else -1


cdef inline bint take_units(const Plan* p, Scratch* s, int32_t i) noexcept nogil:
    """Step 4: take the assignee, then each demand's lowest free units; all or nothing."""
    cdef:
        int32_t named = p.task_unit[i]
        int32_t* held = s.held + p.hold_ptr[i]
        int32_t* prev
        int32_t n = 0, need, u, k
        int64_t d, j
    # A cheap necessary condition first: most attempts fail here without touching anything.
    if named >= 0 and not unit_free(p, s, named):
        return False
    for d in range(p.dem_ptr[i], p.dem_ptr[i + 1]):
        if s.pool_free[p.dem_pool[d]] < p.dem_count[d]:
            return False
    if named >= 0:
        unit_take(p, s, named)
        held[n] = named
        n += 1
    for d in range(p.dem_ptr[i], p.dem_ptr[i + 1]):
        k = p.dem_pool[d]
        need = p.dem_count[d]
        j = p.pool_ptr[k]
        while need > 0:
            # Units taken so far are no longer free, so each scan finds the next one.
            j = lowest_free(s, j, p.pool_ptr[k + 1])
            if j < 0:
                break
            u = p.pool_units[j]
            unit_take(p, s, u)
            held[n] = u
            n += 1
            need -= 1
            j += 1
        if need > 0:
            while n > 0:
                n -= 1
                unit_give(p, s, held[n])
            return False
    if p.detail:
        prev = s.prev_rel + p.hold_ptr[i]
        for k in range(n):
            prev[k] = s.last_rel_task[held[k]]
    return True


cdef inline void release_units(const Plan* p, Scratch* s, int32_t i, double t) noexcept nogil:
    """Give back the units task `i` held; it ends at `t`, which is always its finish."""
    cdef:
        int64_t j, lo = p.hold_ptr[i], hi = p.hold_ptr[i + 1]
        int32_t u
        double held_for
    # Most tasks of a plan without pools hold nothing: skip the setup of the loop below.
    if lo == hi:
        return
    if not p.detail:
        # Nobody reads busy time or causes: only the units go back.
        for j in range(lo, hi):
            unit_give(p, s, s.held[j])
        return
    held_for = s.finish[i] - s.start[i]
    for j in range(lo, hi):
        u = s.held[j]
        unit_give(p, s, u)
        s.busy[u] += held_for
        s.last_rel_task[u] = i


# ---------------------------------------------------------------- completion heap

cdef inline bint event_before(Event a, Event b) noexcept nogil:
    return a.key < b.key or (a.key == b.key and a.task < b.task)


cdef inline bint event_before_flat(Event a, Event b) noexcept nogil:
    # The same test without branches, for the choice between two siblings, which is a coin
    # toss to the branch predictor; the other tests mostly go one way and branch cheaper.
    return (a.key < b.key) | ((a.key == b.key) & (a.task < b.task))


cdef inline void heap_push(Scratch* s, double f, int32_t i) noexcept nogil:
    cdef:
        int32_t m = s.n_heap, parent
        Event e
    e.key = tc_bits(f)
    e.task = i
    s.n_heap += 1
    while m > 0:
        parent = (m - 1) >> 1
        if not event_before(e, s.heap[parent]):
            break
        s.heap[m] = s.heap[parent]
        m = parent
    s.heap[m] = e


cdef inline int32_t heap_pop(Scratch* s) noexcept nogil:
    """Remove the first completion and return its task."""
    cdef:
        int32_t top = s.heap[0].task, n, m = 0, c
        Event last
    s.n_heap -= 1
    n = s.n_heap
    last = s.heap[n]
    while True:
        c = 2 * m + 1
        if c >= n:
            break
        if c + 1 < n and event_before_flat(s.heap[c + 1], s.heap[c]):
            c += 1
        if not event_before(s.heap[c], last):
            break
        s.heap[m] = s.heap[c]
        m = c
    s.heap[m] = last
    return top


# ---------------------------------------------------------------- duration (step 5)

cdef inline double finish_time(const Plan* p, Scratch* s, int32_t i, double t) noexcept nogil:
    """The operations of docs/simulation.md step 5, in the same order."""
    cdef:
        double effort = s.effort[i]
        const int32_t* units = s.held + p.hold_ptr[i]
        int32_t n = <int32_t> (p.hold_ptr[i + 1] - p.hold_ptr[i])
        int32_t n_ends = 0, j, m, u
        double b, cur, remaining, rate, r
    if effort <= 0:
        return t
    if n == 0 or p.unit_rate_one:
        return t + effort
    if not p.any_ramp:
        # No unit ramps up, so there is no ramp end to walk: the single last segment below.
        rate = INFINITY
        for j in range(n):
            r = p.unit_capacity[units[j]] * 1.0
            if r < rate:
                rate = r
        return t + effort / rate
    rate = INFINITY
    for j in range(n):
        u = units[j]
        r = p.unit_capacity[u] * 1.0
        if r < rate:
            rate = r
        b = s.arrival[u] + p.unit_ramp_days[u]
        if b > t:
            m = n_ends
            while m > 0 and s.ends[m - 1] > b:
                m -= 1
            if m > 0 and s.ends[m - 1] == b:
                continue
            memmove(s.ends + m + 1, s.ends + m, (n_ends - m) * sizeof(double))
            s.ends[m] = b
            n_ends += 1
    if n_ends == 0:
        # Every unit is past its ramp (the usual case, even where some unit ramps): the one
        # segment of the loop below, whose rate is then this minimum.
        return t + effort / rate
    cur = t
    remaining = effort
    for m in range(n_ends + 1):
        rate = INFINITY
        for j in range(n):
            u = units[j]
            if cur < s.arrival[u] + p.unit_ramp_days[u]:
                r = p.unit_capacity[u] * p.unit_ramp_prod[u]
            else:
                r = p.unit_capacity[u] * 1.0
            if r < rate:
                rate = r
        if m == n_ends:
            return cur + remaining / rate
        b = s.ends[m]
        if remaining <= rate * (b - cur):
            return cur + remaining / rate
        remaining -= rate * (b - cur)
        cur = b
    return cur  # not reached: the last segment always returns


cdef inline double finish_one(double effort, double capacity, double t) noexcept nogil:
    """finish_time for a task held by one unit that does not ramp: the same operations."""
    cdef double rate = capacity * 1.0
    if effort <= 0:
        return t
    if not (rate < INFINITY):  # as the minimum over units that starts at INFINITY
        rate = INFINITY
    return t + effort / rate


# ---------------------------------------------------------------- readiness and resolution

cdef inline void satisfy(const Plan* p, Scratch* s, int32_t i) noexcept nogil:
    # No test of the task's state: a task that is not waiting either reached zero already
    # (it ran; no condition is met twice) or carries NEVER_READY.
    s.npred[i] -= 1
    if s.npred[i] == 0:
        ready_insert(p, s, i)


cdef inline void skip_push(const Plan* p, Scratch* s, int32_t i) noexcept nogil:
    # Marked at push time, so each task enters the stack at most once.
    if s.tstate[i] != WAITING:
        return
    s.tstate[i] = SKIPPED
    s.npred[i] += NEVER_READY
    if is_ready(p, s, i):
        ready_remove(p, s, i)
    s.stack[s.top] = i
    s.top += 1


cdef void approach_out(const Plan* p, Scratch* s, int32_t c, int32_t a) noexcept nogil:
    """Approach `a` of the open challenge `c` failed or was skipped."""
    cdef:
        int64_t first = p.chal_ptr[c]
        int32_t n_app = <int32_t> (p.chal_ptr[c + 1] - first)
        int32_t pos = p.task_approach_pos[a]
        int64_t j
    s.cnout[c] += 1
    if p.chal_strategy[c] == SEQUENTIAL and pos + 1 < n_app:
        satisfy(p, s, p.chal_tasks[first + pos + 1])
    if s.cnout[c] == n_app:
        s.cstate[c] = CHAL_LOST
        for j in range(p.succ_ptr[p.n_tasks + c], p.succ_ptr[p.n_tasks + c + 1]):
            skip_push(p, s, p.succ_idx[j])


cdef void drain_skips(const Plan* p, Scratch* s) noexcept nogil:
    cdef:
        int32_t i, c
        int64_t j
    while s.top > 0:
        s.top -= 1
        i = s.stack[s.top]
        for j in range(p.succ_ptr[i], p.succ_ptr[i + 1]):
            skip_push(p, s, p.succ_idx[j])
        c = p.task_challenge[i]
        if c >= 0 and s.cstate[c] == CHAL_OPEN:
            approach_out(p, s, c, i)


cdef void abandon(const Plan* p, Scratch* s, int32_t a, double t) noexcept nogil:
    cdef int64_t j
    s.tstate[a] = ABANDONED
    s.finish[a] = t
    task_ended(p, s, a, 3)
    release_units(p, s, a, t)
    for j in range(p.succ_ptr[a], p.succ_ptr[a + 1]):
        skip_push(p, s, p.succ_idx[j])


cdef void challenge_won(const Plan* p, Scratch* s, int32_t c, int32_t w, double t) noexcept nogil:
    cdef:
        int64_t j
        int32_t a
    s.cstate[c] = CHAL_WON
    s.cwinner[c] = w
    s.ctime[p.n_tasks + c] = s.ctime[w]
    if p.chal_strategy[c] == SEQUENTIAL:
        # An earlier approach still waiting (a skipped approach let a later one go first)
        # can no longer become ready, yet stays waiting: a failure upstream still skips it.
        for j in range(p.chal_ptr[c], p.chal_ptr[c] + p.task_approach_pos[w]):
            a = p.chal_tasks[j]
            if s.tstate[a] == WAITING:
                if is_ready(p, s, a):
                    ready_remove(p, s, a)
                s.npred[a] += NEVER_READY
        # Later approaches that wait are skipped; one already running (its predecessor was
        # skipped) runs to its end.
        for j in range(p.chal_ptr[c] + p.task_approach_pos[w] + 1, p.chal_ptr[c + 1]):
            skip_push(p, s, p.chal_tasks[j])
    else:
        for j in range(p.chal_ptr[c], p.chal_ptr[c + 1]):
            a = p.chal_tasks[j]
            if s.tstate[a] == RUNNING and s.finish[a] > t:
                abandon(p, s, a, t)
            else:
                skip_push(p, s, a)
    for j in range(p.succ_ptr[p.n_tasks + c], p.succ_ptr[p.n_tasks + c + 1]):
        satisfy(p, s, p.succ_idx[j])


cdef inline void task_ended(const Plan* p, Scratch* s, int32_t i, uint8_t public_state) noexcept nogil:
    """Write the public state of a task that ran (or was fixed) and keep its project's latest finish.

    Each such task ends exactly once, so this replaces a pass over every task after the trial;
    tasks that never run keep the wrapper's zero state.
    """
    cdef:
        int32_t q = p.task_project[i], b = s.best[q]
        double f = s.finish[i]
    s.state[i] = public_state
    s.n_ended += 1
    if b < 0 or f > s.proj_finish[q] or (f == s.proj_finish[q] and i < b):
        s.proj_finish[q] = f
        s.best[q] = i


cdef inline void resolve(const Plan* p, Scratch* s, int32_t i, bint ok, double t) noexcept nogil:
    """Apply the readiness rules after task `i` succeeded or failed at `t`."""
    cdef:
        int64_t j
        int32_t c = p.task_challenge[i]
    if ok:
        s.tstate[i] = SUCCEEDED
        task_ended(p, s, i, 1)
        if c < 0:
            s.proj_ok[p.task_project[i]] += 1
        for j in range(p.succ_ptr[i], p.succ_ptr[i + 1]):
            satisfy(p, s, p.succ_idx[j])
        if c >= 0 and s.cstate[c] == CHAL_OPEN:
            challenge_won(p, s, c, i, t)
    else:
        s.tstate[i] = FAILED
        task_ended(p, s, i, 2)
        for j in range(p.succ_ptr[i], p.succ_ptr[i + 1]):
            skip_push(p, s, p.succ_idx[j])
        if c >= 0 and s.cstate[c] == CHAL_OPEN:
            approach_out(p, s, c, i)
    drain_skips(p, s)


# ---------------------------------------------------------------- starting tasks

cdef int32_t find_cause(const Plan* p, const Scratch* s, int32_t i) noexcept nogil:
    """The binding chain's link: which completion let task `i` start (-1: none, or it started at 0).

    Asked after the trial, only for tasks on a chain, of the state the trial ended in: what it
    reads was final by the time `i` started. A predecessor's completion time is set once; a
    sequential approach before `i` was out (failed or skipped, for good) when `i` became
    ready; a unit's release before `i` took it is kept per hold slot (prev_rel), and a
    task releases its units exactly at its finish.
    """
    cdef:
        int64_t j
        int32_t node, c, pos, u, prev, best_unit = -1, cause = -1
        double t = s.start[i]
    if p.task_fixed[i] >= 2 or not (t > 0):
        return -1
    for j in range(p.pred_ptr[i], p.pred_ptr[i + 1]):
        node = p.pred_idx[j]
        if s.ctime[node] == t:
            return node if node < p.n_tasks else s.cwinner[node - p.n_tasks]
    c = p.task_challenge[i]
    pos = p.task_approach_pos[i]
    if c >= 0 and pos > 0 and p.chal_strategy[c] == SEQUENTIAL:
        node = p.chal_tasks[p.chal_ptr[c] + pos - 1]
        if s.tstate[node] == FAILED and s.ctime[node] == t:
            return node
    for j in range(p.hold_ptr[i], p.hold_ptr[i + 1]):
        u = s.held[j]
        prev = s.prev_rel[j]
        if prev >= 0 and s.finish[prev] == t and (best_unit < 0 or u < best_unit):
            best_unit = u
            cause = prev
    return cause


# The per-task steps (taking units, duration, cause, release, resolution) are `inline`:
# each runs once per task-trial, and a call's register saves cost about as their bodies.
cdef inline bint try_start(const Plan* p, Scratch* s, int32_t i, double t) noexcept nogil:
    if p.hold_ptr[i + 1] > p.hold_ptr[i] and not take_units(p, s, i):
        return False
    launch(p, s, i, t)
    return True


cdef inline void launch(const Plan* p, Scratch* s, int32_t i, double t) noexcept nogil:
    """Start task `i` at `t` with the units already taken."""
    launch_at(p, s, i, t, finish_time(p, s, i, t))


cdef inline void launch_at(const Plan* p, Scratch* s, int32_t i, double t, double f) noexcept nogil:
    """Start task `i` at `t` with the units already taken, to finish at `f`."""
    s.tstate[i] = RUNNING
    s.start[i] = t
    s.finish[i] = f
    heap_push(s, f, i)


cdef inline void start_on_lowest_free(const Plan* p, Scratch* s, int32_t k, int32_t i, double t) noexcept nogil:
    """Start task `i`, which needs one unit of pool `k` and no assignee, on the pool's lowest
    free unit (the pool has one): unit_take with the unit's position and pool already known."""
    cdef int64_t j = lowest_free(s, p.pool_ptr[k], p.pool_ptr[k + 1])
    cdef int32_t u = p.pool_units[j]
    s.free_bits[j >> 6] &= ~((<uint64_t> 1) << (j & 63))
    s.pool_free[k] -= 1
    s.n_free -= 1
    s.held[p.hold_ptr[i]] = u
    if p.detail:
        s.prev_rel[p.hold_ptr[i]] = s.last_rel_task[u]
    if p.unit_rate_one:
        launch_at(p, s, i, t, t if s.effort[i] <= 0 else t + s.effort[i])
    elif p.any_ramp:
        launch(p, s, i, t)
    else:
        launch_at(p, s, i, t, finish_one(s.effort[i], p.unit_capacity[u], t))


cdef inline void advance(const Plan* p, Scratch* s, int32_t k, int32_t max_rank, double t) noexcept nogil:
    """Try the tasks of pool `k`'s list from its cursor up to (not including) `max_rank`."""
    cdef int32_t r = s.list_r[k], i, need
    # Units are only taken during a pass, so an exhausted pool stays exhausted.
    while s.pool_free[k] > 0:
        r = next_ready(p, s, k, r)
        if r >= max_rank:
            break
        i = p.prio_order[r]
        need = p.rank_need[r]
        if need == 1:
            # The common task: one unit of this pool and no assignee. The pool has a free
            # unit, so it starts on the lowest one without the general all-or-nothing walk.
            start_on_lowest_free(p, s, k, i, t)
            ready_clear(p, s, k, r)
        elif need <= s.pool_free[k] and try_start(p, s, i, t):
            ready_clear(p, s, k, r)
        r += 1
    s.list_r[k] = r


cdef inline void advance_simple(const Plan* p, Scratch* s, int32_t k, double t) noexcept nogil:
    """advance over the whole list of a pool in `simple_pools` that has a free unit and a ready
    task: each task fits while a unit is free, so the pass starts the list's first tasks in
    turn, with no cursor and no test of need (the starts are advance's, in the same order)."""
    cdef int32_t r, i
    while True:
        r = next_ready(p, s, k, 0)
        i = p.prio_order[r]
        start_on_lowest_free(p, s, k, i, t)
        ready_clear(p, s, k, r)
        if s.pool_free[k] == 0 or s.list_n[k] == 0:
            return


cdef inline void start_all_ready(const Plan* p, Scratch* s, int32_t l, double t) noexcept nogil:
    """Start every task of list `l` (tasks that need no units), in priority order.

    Nothing a start does can insert into a list, so the list is taken a word at a time and
    emptied, where a bit scan and a bit clear per task cost more than the start itself.
    """
    cdef:
        uint64_t* bits = s.ready + <int64_t> l * p.n_words
        int32_t w, base
        uint64_t x
    for w in range(s.list_lo[l], p.n_words):
        x = bits[w]
        bits[w] = 0
        base = w << 6
        while x != 0:
            launch(p, s, p.prio_order[base + tc_ctz(x)], t)
            x &= x - 1
    s.n_ready -= s.list_n[l]
    s.list_n[l] = 0
    s.list_lo[l] = p.n_words


cdef void dispatch(const Plan* p, Scratch* s, double t) noexcept nogil:
    """One pass in priority order over the ready tasks; started tasks leave the lists.

    Tasks that need units of one pool only interact with tasks touching that pool, so each
    pool's list is walked only as the next task of the general list that touches it:
    the starts are exactly those of a single walk over all ready tasks in `prio_order`.
    """
    cdef:
        int32_t k, i, r
        int32_t general = p.n_pools, nothing = p.n_pools + 1
        int32_t n_pools = p.n_pools, n_tasks = p.n_tasks
        const int32_t* pool_free = s.pool_free
        const int32_t* list_n = s.list_n
        int64_t d
        uint64_t dirty
    if s.list_n[nothing] > 0:
        start_all_ready(p, s, nothing, t)
    if s.n_free == 0:
        return
    if s.list_n[general] == 0:
        # The usual case: pools are independent, walk only those that have a free unit and
        # changed since their last pass.
        # Locals, because every int32 store in `advance` might otherwise alias the count fields.
        if 0 < n_pools <= 64:
            # One bit scan over the changed pools, where a loop over all pools mispredicts.
            dirty = s.dirty & ((~(<uint64_t> 0)) >> (64 - n_pools))
            while dirty != 0:
                k = tc_ctz(dirty)
                dirty &= dirty - 1
                if pool_free[k] > 0 and list_n[k] > 0:
                    if (p.simple_pools >> k) & 1:
                        advance_simple(p, s, k, t)
                    else:
                        s.list_r[k] = 0
                        advance(p, s, k, n_tasks, t)
        else:
            dirty = s.dirty
            for k in range(n_pools):
                if (dirty >> (k & 63)) & 1 and pool_free[k] > 0 and list_n[k] > 0:
                    s.list_r[k] = 0
                    advance(p, s, k, n_tasks, t)
        s.dirty = 0
        return
    # A pool whose units and list are unchanged since its last pass can start nothing of its
    # own list now either: that pass left only tasks that did not fit, and starts in this
    # pass only take units. Its walks below would try them all again in vain.
    dirty = s.dirty if n_pools <= 64 else ~(<uint64_t> 0)
    for k in range(p.n_pools):
        s.list_r[k] = 0
    r = next_ready(p, s, general, 0)
    # Once every unit is taken nothing further can start, in this list or the others.
    while r < p.n_tasks and s.n_free > 0:
        i = p.prio_order[r]
        for d in range(p.dem_ptr[i], p.dem_ptr[i + 1]):
            k = p.dem_pool[d]
            if (dirty >> (k & 63)) & 1:
                advance(p, s, k, r, t)
        if p.task_unit[i] >= 0:
            k = p.unit_pool[p.task_unit[i]]
            if (dirty >> (k & 63)) & 1:
                advance(p, s, k, r, t)
        if try_start(p, s, i, t):
            ready_clear(p, s, general, r)
        r = next_ready(p, s, general, r + 1)
    for k in range(p.n_pools):
        if (dirty >> (k & 63)) & 1 and s.pool_free[k] > 0 and s.list_n[k] > 0:
            advance(p, s, k, p.n_tasks, t)
    s.dirty = 0


# ---------------------------------------------------------------- one trial

cdef inline void clear_rows(const Plan* p, Scratch* s) noexcept nogil:
    """Before a trial: no busy time yet, no task ended (see fill_unrun for the tasks' rows)."""
    cdef int32_t i
    s.n_ended = 0
    if p.detail:
        for i in range(p.n_units):
            s.busy[i] = 0.0


cdef void fill_unrun(const Plan* p, Scratch* s) noexcept nogil:
    """After a trial: NaN times and state 0 for every task that never ran.

    The wrapper allocates its outputs without filling them (and reuses them from chunk to
    chunk), so these entries must be written; every other task's were, when it started and
    ended. In most trials every task runs, and this is one comparison.
    """
    cdef int32_t i, st
    if not p.detail or s.n_ended == p.n_tasks:
        return
    for i in range(p.n_tasks):
        st = s.tstate[i]
        if st == WAITING or st == SKIPPED:
            s.start[i] = NAN
            s.finish[i] = NAN
            s.state[i] = 0


cdef void reset(const Plan* p, Scratch* s) noexcept nogil:
    cdef:
        int32_t i, u, j, n_arr = 0
        double a
    clear_rows(p, s)
    memcpy(s.tstate, p.tstate0, p.n_tasks * sizeof(int32_t))
    memcpy(s.npred, p.npred0, p.n_tasks * sizeof(int32_t))
    memcpy(s.ready, p.ready0, p.n_lists * p.n_words * sizeof(uint64_t))
    memcpy(s.list_n, p.list_n0, p.n_lists * sizeof(int32_t))
    s.n_ready = 0
    for i in range(p.n_lists):
        s.n_ready += p.list_n0[i]
        s.list_lo[i] = 0
    # ctime, held and prev_rel need no reset: they are read only for tasks that completed
    # or started in this trial.
    for i in range(p.n_chal):
        s.cstate[i] = CHAL_OPEN
        s.cnout[i] = 0
    for i in range(p.n_proj):
        s.proj_finish[i] = NAN
        s.best[i] = -1
        s.proj_ok[i] = 0
    for i in range(p.n_pools):
        s.pool_free[i] = 0
    for i in range(p.n_unit_words):
        s.free_bits[i] = 0
    s.n_free = 0
    s.n_heap = 0
    s.dirty = ~(<uint64_t> 0)
    s.top = 0
    for u in range(p.n_units):
        s.last_rel_task[u] = -1
        a = s.arrival[u]
        if a <= 0:
            unit_give(p, s, u)
        elif a < INFINITY:
            # Arrival events, sorted by time (insertion: units are few).
            j = n_arr
            while j > 0 and s.arr_times[j - 1] > a:
                s.arr_times[j] = s.arr_times[j - 1]
                s.arr_units[j] = s.arr_units[j - 1]
                j -= 1
            s.arr_times[j] = a
            s.arr_units[j] = u
            n_arr += 1
    s.arr_units[p.n_units] = n_arr  # count kept past the last slot


cdef void fix_and_start(const Plan* p, Scratch* s) noexcept nogil:
    """Steps 1 and 2: done/failed tasks at their actuals, then work in progress at t = 0."""
    cdef:
        int32_t k, i
    for k in range(p.n_fixed):
        i = p.fixed_tasks[k]
        s.start[i] = p.fixed_start[i]
        s.finish[i] = p.fixed_finish[i]
        s.ctime[i] = 0.0
    for k in range(p.n_fixed):
        i = p.fixed_tasks[k]
        resolve(p, s, i, p.task_fixed[i] == 2, 0.0)
    for k in range(p.n_fixed, p.n_fixed + p.n_doing):
        i = p.fixed_tasks[k]
        if s.tstate[i] == WAITING and try_start(p, s, i, 0.0):
            s.npred[i] += NEVER_READY
            if is_ready(p, s, i):
                ready_remove(p, s, i)


cdef inline void complete(const Plan* p, Scratch* s, int32_t i, double t) noexcept nogil:
    """Event step 3.1 for one task; the heap hands them over in increasing task index."""
    cdef int64_t j
    release_units(p, s, i, t)
    s.ctime[i] = t
    if s.success[i] != 0 and p.task_challenge[i] < 0:
        # resolve's usual case, here so that it needs no call: a success outside any
        # challenge only satisfies its successors (no skips to drain, no challenge to settle).
        s.tstate[i] = SUCCEEDED
        task_ended(p, s, i, 1)
        s.proj_ok[p.task_project[i]] += 1
        for j in range(p.succ_ptr[i], p.succ_ptr[i + 1]):
            satisfy(p, s, p.succ_idx[j])
    else:
        resolve(p, s, i, s.success[i] != 0, t)


cdef void event_loop(const Plan* p, Scratch* s) noexcept nogil:
    cdef:
        double t = 0.0
        int32_t i, n_arr = s.arr_units[p.n_units], next_arr = 0
    while True:
        # Completions at t do not change which other tasks finish at t (only later running
        # approaches are abandoned), so taking them one by one equals taking them all first.
        while s.n_heap > 0 and s.heap[0].key == tc_bits(t):
            i = heap_pop(s)
            if s.tstate[i] == RUNNING:
                complete(p, s, i, t)
        while next_arr < n_arr and s.arr_times[next_arr] <= t:
            unit_give(p, s, s.arr_units[next_arr])
            next_arr += 1
        if s.n_ready > 0:
            dispatch(p, s, t)
        # Abandoned tasks are no events (only a parallel challenge abandons any).
        while p.can_abandon and s.n_heap > 0 and s.tstate[s.heap[0].task] != RUNNING:
            heap_pop(s)
        if s.n_heap == 0 and next_arr >= n_arr:
            return
        t = s.arr_times[next_arr] if next_arr < n_arr else INFINITY
        if s.n_heap > 0 and tc_double(s.heap[0].key) < t:
            t = tc_double(s.heap[0].key)


cdef void summarise(const Plan* p, Scratch* s, uint8_t* critical,
                    uint8_t* proj_success) noexcept nogil:
    """Project success and the binding chain of each project (states and finishes are kept
    as tasks end); no chain when `critical` is NULL."""
    cdef int32_t i, q
    for q in range(p.n_proj):
        proj_success[q] = s.proj_ok[q] == p.proj_need[q]
    for i in range(p.n_chal):
        if s.cstate[i] != CHAL_WON:
            proj_success[p.chal_project[i]] = 0
    if critical == NULL:
        return
    memset(critical, 0, p.n_tasks)
    for q in range(p.n_proj):
        i = s.best[q]
        while i >= 0:
            if p.task_project[i] == q:
                critical[i] = 1
            i = s.cause[i] if p.forward else find_cause(p, s, i)


cdef void copy_held(const Plan* p, const Scratch* s, int32_t* out) noexcept nogil:
    """The units each task held in this trial (-1 for a task that held none: never ran, or fixed done)."""
    cdef:
        int32_t i
        int64_t j
        bint ran
    for i in range(p.n_tasks):
        ran = s.state[i] != 0 and p.task_fixed[i] < 2
        for j in range(p.hold_ptr[i], p.hold_ptr[i + 1]):
            out[j] = s.held[j] if ran else -1


cdef void forward_trial(const Plan* p, Scratch* s) noexcept nogil:
    """The whole trial of a plan whose tasks hold no units and that has no challenges.

    Nothing then competes for anything: a waiting task starts exactly when its last
    predecessor completes, so its start is the latest completion among its predecessors
    (0 without any) and one pass in topological order gives the event loop's schedule, bit
    for bit. Steps 1 and 2 as in fix_and_start: done/failed tasks first (in index order),
    work in progress at 0 whatever its predecessors; a task waiting on one that did not
    succeed is skipped (it never runs), as are its successors in turn. The cause is the
    first predecessor (in pred order) completing at the start, as find_cause returns.
    """
    cdef:
        int32_t k, i, q, node, cause
        int64_t j
        double t, c, f
        bint ok
    clear_rows(p, s)
    for q in range(p.n_proj):
        s.proj_finish[q] = NAN
        s.best[q] = -1
        s.proj_ok[q] = 0
    for k in range(p.n_fixed):
        i = p.fixed_tasks[k]
        ok = p.task_fixed[i] == 2
        s.start[i] = p.fixed_start[i]
        s.finish[i] = p.fixed_finish[i]
        s.ctime[i] = 0.0
        s.cause[i] = -1
        s.tstate[i] = SUCCEEDED if ok else FAILED
        task_ended(p, s, i, 1 if ok else 2)
        if ok:
            s.proj_ok[p.task_project[i]] += 1
    for k in range(p.n_tasks):
        i = p.topo[k]
        if p.task_fixed[i] >= 2:
            continue
        t = 0.0
        cause = -1
        if p.task_fixed[i] == 0:
            ok = True
            for j in range(p.pred_ptr[i], p.pred_ptr[i + 1]):
                node = p.pred_idx[j]
                if s.tstate[node] != SUCCEEDED:
                    ok = False
                    break
                c = s.ctime[node]
                if c > t:  # strictly: the first predecessor that completes last
                    t = c
                    cause = node
            if not ok:
                s.tstate[i] = SKIPPED
                continue
        f = s.effort[i]
        f = t if f <= 0 else t + f
        s.start[i] = t
        s.finish[i] = f
        s.ctime[i] = f
        s.cause[i] = cause
        if s.success[i] != 0:
            s.tstate[i] = SUCCEEDED
            task_ended(p, s, i, 1)
            s.proj_ok[p.task_project[i]] += 1
        else:
            s.tstate[i] = FAILED
            task_ended(p, s, i, 2)


cdef void run_trial(const Plan* p, Scratch* s, uint8_t* critical,
                    uint8_t* proj_success) noexcept nogil:
    if p.forward:
        forward_trial(p, s)
    else:
        reset(p, s)
        fix_and_start(p, s)
        event_loop(p, s)
    summarise(p, s, critical, proj_success)
    fill_unrun(p, s)


# ---------------------------------------------------------------- Python entry points

def openmp_enabled():
    """Whether this build runs trials on several threads."""
    return bool(TC_OPENMP)


def max_threads():
    """The most threads a chunk can use (1 without OpenMP)."""
    return int(tc_max_threads())


cdef int derive(Plan* p) except -1:
    """Per-call tables: ranks, initial condition counts, where taken units are kept."""
    cdef:
        int32_t i, c, pos
        int64_t d, total = 0
    p.rank = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.npred0 = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.hold_ptr = <int64_t*> malloc((p.n_tasks + 1) * sizeof(int64_t))
    p.n_lists = p.n_pools + 2
    p.n_words = (p.n_tasks + 63) >> 6
    p.task_list = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.rank_need = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.tstate0 = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.ready0 = <uint64_t*> calloc(p.n_lists * p.n_words + 1, sizeof(uint64_t))
    p.list_n0 = <int32_t*> malloc(p.n_lists * sizeof(int32_t))
    p.fixed_tasks = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    p.proj_need = <int32_t*> calloc(p.n_proj + 1, sizeof(int32_t))
    p.unit_slot = <int32_t*> malloc((p.n_units + 1) * sizeof(int32_t))
    p.n_unit_words = (p.n_units + 63) >> 6
    if (p.unit_slot == NULL or p.rank == NULL or p.npred0 == NULL or p.hold_ptr == NULL or p.task_list == NULL
            or p.tstate0 == NULL or p.ready0 == NULL or p.list_n0 == NULL or p.fixed_tasks == NULL
            or p.proj_need == NULL or p.rank_need == NULL):
        raise MemoryError()
    for i in range(p.n_tasks):
        p.rank[p.prio_order[i]] = i
    for i in range(p.n_units):
        p.unit_slot[p.pool_units[i]] = i
    for i in range(p.n_tasks):
        if p.task_challenge[i] < 0:
            p.proj_need[p.task_project[i]] += 1
    for i in range(p.n_tasks):
        p.npred0[i] = <int32_t> (p.pred_ptr[i + 1] - p.pred_ptr[i])
        c = p.task_challenge[i]
        pos = p.task_approach_pos[i]
        if c >= 0 and pos > 0 and p.chal_strategy[c] == SEQUENTIAL:
            p.npred0[i] += 1
        p.hold_ptr[i] = total
        if p.task_unit[i] >= 0:
            total += 1
        for d in range(p.dem_ptr[i], p.dem_ptr[i + 1]):
            total += p.dem_count[d]
        if total == p.hold_ptr[i]:
            p.task_list[i] = p.n_pools + 1
        elif p.task_unit[i] < 0 and p.dem_ptr[i + 1] - p.dem_ptr[i] == 1:
            p.task_list[i] = p.dem_pool[p.dem_ptr[i]]
        elif p.dem_ptr[i + 1] == p.dem_ptr[i]:
            # Only a named person: that person's pool is all it touches (rank_need 0 sends it
            # through try_start, which waits for that very unit).
            p.task_list[i] = p.unit_pool[p.task_unit[i]]
        else:
            p.task_list[i] = p.n_pools
    p.hold_ptr[p.n_tasks] = total
    p.n_fixed = 0
    p.n_doing = 0
    for i in range(p.n_tasks):
        p.tstate0[i] = WAITING
        if p.task_fixed[i] >= 2:
            p.tstate0[i] = SUCCEEDED if p.task_fixed[i] == 2 else FAILED
            p.npred0[i] += NEVER_READY
            p.fixed_tasks[p.n_fixed] = i
            p.n_fixed += 1
    for i in range(p.n_tasks):
        if p.task_fixed[i] == 1:
            p.fixed_tasks[p.n_fixed + p.n_doing] = i
            p.n_doing += 1
    for i in range(p.n_lists):
        p.list_n0[i] = 0
    for pos in range(p.n_tasks):
        i = p.prio_order[pos]
        if p.tstate0[i] == WAITING and p.npred0[i] == 0:
            c = p.task_list[i]
            p.ready0[<int64_t> c * p.n_words + (pos >> 6)] |= (<uint64_t> 1) << (pos & 63)
            p.list_n0[c] += 1
    p.any_ramp = False
    p.unit_rate_one = True
    for i in range(p.n_units):
        if p.unit_ramp_days[i] > 0:
            p.any_ramp = True
        if p.unit_capacity[i] != 1.0:
            p.unit_rate_one = False
    p.unit_rate_one = p.unit_rate_one and not p.any_ramp
    for pos in range(p.n_tasks):
        i = p.prio_order[pos]
        p.rank_need[pos] = p.dem_count[p.dem_ptr[i]] if p.dem_ptr[i + 1] > p.dem_ptr[i] else 0
    p.simple_pools = (~(<uint64_t> 0)) >> (64 - p.n_pools) if 0 < p.n_pools <= 64 else 0
    for pos in range(p.n_tasks):
        c = p.task_list[p.prio_order[pos]]
        if c < p.n_pools and p.rank_need[pos] != 1:
            p.simple_pools &= ~((<uint64_t> 1) << (c & 63))
    derive_forward(p)
    p.can_abandon = False
    for c in range(p.n_chal):
        if p.chal_strategy[c] != SEQUENTIAL and p.chal_ptr[c + 1] - p.chal_ptr[c] > 1:
            p.can_abandon = True
    return 0


cdef int derive_forward(Plan* p) except -1:
    """Whether forward_trial applies, and its topological order (Kahn's, lowest index first)."""
    cdef:
        int32_t* indeg
        int32_t i, k, head = 0, tail = 0, v
        int64_t j
    p.forward = p.n_chal == 0 and p.hold_ptr[p.n_tasks] == 0
    if not p.forward:
        return 0
    p.topo = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    indeg = <int32_t*> malloc((p.n_tasks + 1) * sizeof(int32_t))
    if p.topo == NULL or indeg == NULL:
        free(indeg)
        raise MemoryError()
    for i in range(p.n_tasks):
        indeg[i] = <int32_t> (p.pred_ptr[i + 1] - p.pred_ptr[i])
        if indeg[i] == 0:
            p.topo[tail] = i
            tail += 1
    while head < tail:
        i = p.topo[head]
        head += 1
        for j in range(p.succ_ptr[i], p.succ_ptr[i + 1]):
            v = p.succ_idx[j]
            indeg[v] -= 1
            if indeg[v] == 0:
                p.topo[tail] = v
                tail += 1
    free(indeg)
    # A cycle (which validation refuses) leaves tasks out: the event loop handles that plan.
    p.forward = tail == p.n_tasks
    return 0


cdef void release_plan(Plan* p) noexcept:
    free(p.topo)
    free(p.rank)
    free(p.npred0)
    free(p.hold_ptr)
    free(p.task_list)
    free(p.rank_need)
    free(p.tstate0)
    free(p.ready0)
    free(p.list_n0)
    free(p.fixed_tasks)
    free(p.proj_need)
    free(p.unit_slot)


def schedule(
    const int64_t[::1] pred_ptr, const int32_t[::1] pred_idx,
    const int64_t[::1] succ_ptr, const int32_t[::1] succ_idx,
    const int32_t[::1] task_project, const int32_t[::1] task_challenge,
    const int32_t[::1] task_approach_pos,
    const int64_t[::1] chal_ptr, const int32_t[::1] chal_tasks,
    const uint8_t[::1] chal_strategy, const int32_t[::1] chal_project,
    const int64_t[::1] dem_ptr, const int32_t[::1] dem_pool, const int32_t[::1] dem_count,
    const int32_t[::1] task_unit,
    const int64_t[::1] pool_ptr, const int32_t[::1] pool_units, const int32_t[::1] unit_pool,
    const double[::1] unit_capacity, const double[::1] unit_ramp_days,
    const double[::1] unit_ramp_prod,
    const uint8_t[::1] task_fixed, const double[::1] fixed_start, const double[::1] fixed_finish,
    const int32_t[::1] prio_order,
    const double[:, ::1] effort, const uint8_t[:, ::1] success, const double[:, ::1] arrival,
    double[:, ::1] start, double[:, ::1] finish, uint8_t[:, ::1] state,
    uint8_t[:, ::1] critical, double[:, ::1] proj_finish, uint8_t[:, ::1] proj_success,
    double[:, ::1] busy,
    int n_threads=1,
    int32_t[:, ::1] held=None,
    bint detail=True,
):
    """Schedule `effort.shape[0]` trials into the output arrays (see teamcast.ext.kernel).

    Every entry of every output row is written (the arrays may come uninitialised).
    `held`, when given ((n, units taken over all tasks) int32), receives the units each task held.
    With `detail` false only proj_finish and proj_success are written (start, finish, state,
    critical, busy and held may be None): no causes, no binding chains.
    """
    cdef:
        Plan p
        Scratch** scratch = NULL
        Scratch* s
        int32_t* held_out = NULL
        Py_ssize_t held_width = 0
        Py_ssize_t n = effort.shape[0], trial
        Py_ssize_t T = effort.shape[1], U = arrival.shape[1], P = proj_finish.shape[1]
        int threads = max(1, min(n_threads, tc_max_threads())), th
    p.n_tasks = <int32_t> T
    p.n_chal = <int32_t> chal_strategy.shape[0]
    p.n_units = <int32_t> U
    p.n_pools = <int32_t> (pool_ptr.shape[0] - 1)
    p.n_proj = <int32_t> P
    p.pred_ptr = &pred_ptr[0]
    p.pred_idx = &pred_idx[0]
    p.succ_ptr = &succ_ptr[0]
    p.succ_idx = &succ_idx[0]
    p.task_project = &task_project[0]
    p.task_challenge = &task_challenge[0]
    p.task_approach_pos = &task_approach_pos[0]
    p.chal_ptr = &chal_ptr[0]
    p.chal_tasks = &chal_tasks[0]
    p.chal_strategy = &chal_strategy[0]
    p.chal_project = &chal_project[0]
    p.dem_ptr = &dem_ptr[0]
    p.dem_pool = &dem_pool[0]
    p.dem_count = &dem_count[0]
    p.task_unit = &task_unit[0]
    p.pool_ptr = &pool_ptr[0]
    p.pool_units = &pool_units[0]
    p.unit_pool = &unit_pool[0]
    p.unit_capacity = &unit_capacity[0]
    p.unit_ramp_days = &unit_ramp_days[0]
    p.unit_ramp_prod = &unit_ramp_prod[0]
    p.task_fixed = &task_fixed[0]
    p.fixed_start = &fixed_start[0]
    p.fixed_finish = &fixed_finish[0]
    p.prio_order = &prio_order[0]
    p.rank = NULL
    p.npred0 = NULL
    p.hold_ptr = NULL
    p.task_list = NULL
    p.rank_need = NULL
    p.detail = detail
    p.tstate0 = NULL
    p.ready0 = NULL
    p.list_n0 = NULL
    p.fixed_tasks = NULL
    p.topo = NULL
    p.forward = False
    p.proj_need = NULL
    p.unit_slot = NULL
    if n == 0:
        return
    if detail and (start is None or finish is None or state is None or critical is None or busy is None):
        raise ValueError("start, finish, state, critical and busy are needed with detail")
    if not detail:
        held = None
    try:
        derive(&p)
        if held is not None:
            held_width = held.shape[1]
            if held.shape[0] != n or held_width != p.hold_ptr[p.n_tasks]:
                raise ValueError(f"held must be ({n}, {p.hold_ptr[p.n_tasks]}), got ({held.shape[0]}, {held_width})")
            if held_width > 0:
                held_out = &held[0, 0]
        scratch = <Scratch**> calloc(threads, sizeof(Scratch*))
        if scratch == NULL:
            raise MemoryError()
        for th in range(threads):
            scratch[th] = scratch_new(&p)
            if scratch[th] == NULL or not scratch_ok(scratch[th]):
                raise MemoryError()
        for trial in prange(n, nogil=True, schedule="dynamic", chunksize=TRIAL_BLOCK, num_threads=threads):
            s = scratch[threadid()]
            s.effort = &effort[trial, 0]
            s.success = &success[trial, 0]
            s.arrival = &arrival[trial, 0]
            s.proj_finish = &proj_finish[trial, 0]
            if detail:
                s.start = &start[trial, 0]
                s.finish = &finish[trial, 0]
                s.busy = &busy[trial, 0]
                s.state = &state[trial, 0]
                run_trial(&p, s, &critical[trial, 0], &proj_success[trial, 0])
            else:
                s.start = s.own_start
                s.finish = s.own_finish
                s.busy = s.own_busy
                s.state = s.own_state
                run_trial(&p, s, NULL, &proj_success[trial, 0])
            if held_out != NULL:
                copy_held(&p, s, held_out + trial * held_width)
    finally:
        if scratch != NULL:
            for th in range(threads):
                scratch_free(scratch[th])
            free(scratch)
        release_plan(&p)
