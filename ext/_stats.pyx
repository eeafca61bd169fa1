# cython: language_level=3
"""Summaries of a run's kept trials in one pass per column: percentiles, Spearman correlations and
the per-task counts of each chunk (teamcast.engine.forecast.aggregate calls these through the
typed wrapper teamcast.ext.stats, which states the array contract).

They give the same numbers, to the last bit, as the NumPy code they replace (tests hold them to
the straightforward computations):

- Percentiles interpolate linearly between the order statistics lo = floor(pos) and lo + 1 of
  each column's non-NaN values, pos = (count - 1) * (q / 100), as a + (b - a) * (pos - lo).
  The order statistics are found by bucketing the column's values between its minimum and
  maximum (a monotone map, so a bucket's values all lie between its neighbours'), counting per
  bucket and sorting only the few buckets that hold a wanted rank: O(count) per column.
- Rank correlations: ranks are average ranks (ties share theirs); with every rank and rank
  deviation a multiple of 1/2 and at most a few thousand trials, every product and partial sum
  is exact in float64, so the sums do not depend on their order and equal NumPy's.
"""

cimport cython

from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport INFINITY, NAN, floor, isfinite, sqrt
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcpy, memset

ctypedef fused real:
    float
    double

cdef enum:
    GROUP = 256  # columns whose buckets are counted together (their tables fit in a core's cache)
    SMALL = 48  # columns this short are sorted whole
    NB_MAX = 1024  # buckets per column at most


cdef int _cmp_float(const void* a, const void* b) noexcept nogil:
    cdef float x = (<const float*>a)[0]
    cdef float y = (<const float*>b)[0]
    return (x > y) - (x < y)


cdef int _cmp_double(const void* a, const void* b) noexcept nogil:
    cdef double x = (<const double*>a)[0]
    cdef double y = (<const double*>b)[0]
    return (x > y) - (x < y)


cdef inline void _sort(real* v, Py_ssize_t n) noexcept nogil:
    """Sort n values (no NaN) ascending: insertion sort when short, else the C library's."""
    cdef Py_ssize_t i, k
    cdef real x
    if n <= 24:
        for i in range(1, n):
            x = v[i]
            k = i - 1
            while k >= 0 and v[k] > x:
                v[k + 1] = v[k]
                k -= 1
            v[k + 1] = x
    elif real is float:
        qsort(v, n, sizeof(float), _cmp_float)
    else:
        qsort(v, n, sizeof(double), _cmp_double)


cdef inline Py_ssize_t _bucket_of(const int32_t* below, Py_ssize_t nb, int64_t r) noexcept nogil:
    """The last bucket b with below[b] <= r: the one holding rank r (below[nb] > r)."""
    cdef Py_ssize_t lo = 0, hi = nb - 1, mid
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if below[mid] <= r:
            lo = mid
        else:
            hi = mid - 1
    return lo


cdef inline int32_t _bucket(real v, real mn, real scale, real top, real nan_bucket) noexcept nogil:
    """The bucket of v: (v - mn) * scale truncated, within [0, top]; nan_bucket for NaN. Each
    step rounds monotonically, so a bucket's values are >= those of the buckets below. The
    clamps come before the conversion, which must not see NaN or overflow. Branch-free, so a
    loop over a row's columns is vectorised."""
    cdef real x = (v - mn) * scale
    x = x if x > 0 else 0  # also NaN
    x = x if x < top else top
    x = x if v == v else nan_bucket
    return <int32_t>x


@cython.boundscheck(False)
@cython.wraparound(False)
def column_percentiles(const real[:, ::1] values, const double[::1] percentiles, double[:, ::1] out,
                       const real[::1] col_min=None, const real[::1] col_max=None,
                       const int64_t[::1] col_count=None):
    """out[i, j] = percentile percentiles[i] of column j's non-NaN values (NaN when it has none).

    col_min, col_max, col_count (all or none): each column's minimum, maximum and count of
    non-NaN values as pass 1 finds them (tally's, taken as the rows were written), so that
    pass is skipped.

    Linear interpolation a + (b - a) * (pos - lo) between the order statistics lo = floor(pos)
    and min(lo + 1, count - 1), pos = (count - 1) * (q / 100). At most 8 percentiles.

    Three passes over the rows of a group of columns, each reading the rows in order (no
    transposed copy, which costs more than the rest): each column's minimum, maximum and count;
    a histogram of its values over nb buckets between the two; the values of the buckets that
    hold a wanted order statistic, copied out and sorted. A column of few values or an infinite
    spread is gathered and sorted whole; a constant one needs neither.
    """
    cdef Py_ssize_t n = values.shape[0], T = values.shape[1], P = percentiles.shape[0], R = 2 * P
    cdef Py_ssize_t jg, j0, g, gn, i, k, b, w, nb, width, n_wanted, size, capacity = 0
    cdef real v, top
    cdef const real* row
    cdef double pos
    cdef int32_t id_, acc, c_b
    if P > 8:
        raise ValueError("at most 8 percentiles")
    if out.shape[0] != P or out.shape[1] != T:
        raise ValueError("out must be (percentiles, columns)")
    cdef bint given = col_min is not None
    if given and (col_max is None or col_count is None or col_min.shape[0] != T or col_max.shape[0] != T
                  or col_count.shape[0] != T):
        raise ValueError("col_min, col_max and col_count: one per column, all or none")
    if n == 0 or T == 0:
        out[:, :] = NAN
        return
    if n >= 1 << 31:
        raise ValueError("too many rows")
    nb = max(1, min(n // 8, <Py_ssize_t>NB_MAX))
    width = nb + 1  # a column's buckets, then one for its NaN
    top = <real>(nb - 1)
    cdef real nan_bucket = <real>nb
    cdef Py_ssize_t group = min(T, <Py_ssize_t>GROUP)
    cdef int32_t* at = <int32_t*>malloc(group * sizeof(int32_t))  # a row's buckets, as places in counts
    cdef int32_t* base = <int32_t*>malloc(group * sizeof(int32_t))
    cdef int32_t* counts = <int32_t*>malloc(group * width * sizeof(int32_t))
    cdef int16_t* slot = <int16_t*>malloc(group * width * sizeof(int16_t))
    cdef real* mn = <real*>malloc(group * sizeof(real))
    cdef real* mx = <real*>malloc(group * sizeof(real))
    cdef real* scale = <real*>malloc(group * sizeof(real))
    cdef int64_t* cnt = <int64_t*>malloc(group * sizeof(int64_t))
    cdef int64_t* ranks = <int64_t*>malloc(group * R * sizeof(int64_t))
    cdef int64_t* rank_at = <int64_t*>malloc(group * R * sizeof(int64_t))  # ... its place in scratch
    cdef int64_t* seg = <int64_t*>malloc((group * R + 1) * sizeof(int64_t))  # wanted buckets' places
    cdef int64_t* fill = <int64_t*>malloc(group * R * sizeof(int64_t))
    cdef uint8_t* whole = <uint8_t*>malloc(group * sizeof(uint8_t))
    cdef real* scratch = NULL
    cdef real* grown
    cdef real[16] picked
    if not (counts and slot and mn and mx and scale and cnt and ranks and rank_at and seg and fill and whole
            and at and base):
        free(at); free(base); free(counts); free(slot); free(mn); free(mx); free(scale); free(cnt); free(ranks); free(rank_at)
        free(seg); free(fill); free(whole)
        raise MemoryError()
    for g in range(group):
        base[g] = <int32_t>(g * width)
    try:
        with nogil:
            for jg in range((T + group - 1) // group):
                j0 = jg * group
                gn = min(group, T - j0)
                # Pass 1: each column's minimum, maximum and count (NaN fails every comparison).
                if given:
                    for g in range(gn):
                        cnt[g] = col_count[j0 + g]
                        mn[g] = col_min[j0 + g]
                        mx[g] = col_max[j0 + g]
                else:
                    for g in range(gn):
                        cnt[g] = 0
                        mn[g] = INFINITY
                        mx[g] = -INFINITY
                    for i in range(n):
                        row = &values[i, j0]
                        for g in range(gn):
                            v = row[g]
                            cnt[g] += v == v
                            mn[g] = v if v < mn[g] else mn[g]
                            mx[g] = v if v > mx[g] else mx[g]
                for g in range(gn):
                    for k in range(P):
                        pos = (cnt[g] - 1) * (percentiles[k] / 100.0)
                        ranks[g * R + 2 * k] = <int64_t>floor(pos)
                        ranks[g * R + 2 * k + 1] = min(ranks[g * R + 2 * k] + 1, cnt[g] - 1)
                    scale[g] = <real>nb / (mx[g] - mn[g])
                    whole[g] = cnt[g] <= SMALL or not (
                        mx[g] > mn[g] and isfinite(mx[g] - mn[g]) and isfinite(scale[g])
                        and isfinite((mx[g] - mn[g]) * scale[g])
                    )
                    if whole[g]:
                        scale[g] = 0  # all to bucket 0, whose slot stays empty
                # Pass 2: a histogram per column (a row's buckets found first, in one vectorised loop).
                memset(counts, 0, gn * width * sizeof(int32_t))
                for i in range(n):
                    row = &values[i, j0]
                    for g in range(gn):
                        at[g] = base[g] + _bucket(row[g], mn[g], scale[g], top, nan_bucket)
                    for g in range(gn):
                        counts[at[g]] += 1
                # The buckets holding a wanted rank get a slot: a segment of scratch.
                n_wanted = 0
                seg[0] = 0
                for g in range(gn):
                    for b in range(width):
                        slot[g * width + b] = -1
                    if whole[g]:
                        continue
                    acc = 0  # counts[g, b] becomes the count below bucket b
                    for b in range(nb):
                        c_b = counts[g * width + b]
                        counts[g * width + b] = acc
                        acc += c_b
                    counts[g * width + nb] = acc
                    for k in range(R):
                        b = _bucket_of(counts + g * width, nb, ranks[g * R + k])
                        w = slot[g * width + b]
                        if w < 0:
                            w = n_wanted
                            slot[g * width + b] = <int16_t>w
                            seg[w + 1] = seg[w] + counts[g * width + b + 1] - counts[g * width + b]
                            fill[w] = seg[w]
                            n_wanted += 1
                        rank_at[g * R + k] = seg[w] + ranks[g * R + k] - counts[g * width + b]
                size = seg[n_wanted] + n  # the segments, then room for a column sorted whole
                if size > capacity:
                    grown = <real*>realloc(scratch, size * sizeof(real))
                    if grown == NULL:
                        with gil:
                            raise MemoryError()
                    scratch = grown
                    capacity = size
                # Pass 3: the values of the wanted buckets (NaN's bucket never is).
                if n_wanted:
                    for i in range(n):
                        row = &values[i, j0]
                        for g in range(gn):
                            at[g] = base[g] + _bucket(row[g], mn[g], scale[g], top, nan_bucket)
                        for g in range(gn):
                            w = slot[at[g]]
                            if w >= 0:
                                scratch[fill[w]] = row[g]
                                fill[w] += 1
                    for w in range(n_wanted):
                        _sort(scratch + seg[w], seg[w + 1] - seg[w])
                for g in range(gn):
                    if cnt[g] == 0:
                        for k in range(P):
                            out[k, j0 + g] = NAN
                        continue
                    if whole[g] and mx[g] == mn[g]:  # all alike
                        for k in range(R):
                            picked[k] = mn[g]
                    elif whole[g]:
                        b = seg[n_wanted]
                        for i in range(n):
                            v = values[i, j0 + g]
                            if v == v:
                                scratch[b] = v
                                b += 1
                        _sort(scratch + seg[n_wanted], cnt[g])
                        for k in range(R):
                            picked[k] = scratch[seg[n_wanted] + ranks[g * R + k]]
                    else:
                        for k in range(R):
                            picked[k] = scratch[rank_at[g * R + k]]
                    for k in range(P):
                        pos = (cnt[g] - 1) * (percentiles[k] / 100.0)
                        out[k, j0 + g] = <double>picked[2 * k] + (
                            <double>picked[2 * k + 1] - <double>picked[2 * k]
                        ) * (pos - <double>ranks[g * R + 2 * k])
    finally:
        free(at); free(base); free(counts); free(slot); free(mn); free(mx); free(scale); free(cnt); free(ranks); free(rank_at)
        free(seg); free(fill); free(whole); free(scratch)


cdef inline uint64_t _key(real x) noexcept nogil:
    """An unsigned integer in the order of x (no NaN; -0.0 as 0.0): the float's bits, the sign
    bit set for x >= 0 and every bit flipped for x < 0. 32 bits for a float."""
    cdef uint32_t b32
    cdef uint64_t b64
    x = x + 0.0  # -0.0 + 0.0 is 0.0
    if real is float:
        memcpy(&b32, &x, sizeof(float))
        return <uint64_t>(~b32 if b32 >> 31 else b32 | (<uint32_t>1 << 31))
    else:
        memcpy(&b64, &x, sizeof(double))
        return ~b64 if b64 >> 63 else b64 | (<uint64_t>1 << 63)


cdef void _radix_sort(uint64_t* key, int32_t* idx, uint64_t* key2, int32_t* idx2, Py_ssize_t m,
                      int first_byte, int64_t* hist) noexcept nogil:
    """Sort key[0:m] ascending by its bytes first_byte..7, least significant first, skipping the
    bytes all keys share, carrying idx along (unless NULL); the result ends in key/idx
    (key2/idx2 are scratch). Stable: keys equal in those bytes keep their order. hist: 8 x 256."""
    cdef Py_ssize_t i, d, b
    cdef int64_t total, t
    cdef uint64_t* ks = key
    cdef uint64_t* kd = key2
    cdef int32_t* xs = idx
    cdef int32_t* xd = idx2
    cdef uint64_t* kt
    cdef int32_t* xt
    cdef uint64_t k
    cdef int64_t* h
    memset(hist, 0, 8 * 256 * sizeof(int64_t))
    for i in range(m):
        k = ks[i]
        for d in range(first_byte, 8):
            hist[d * 256 + ((k >> (8 * d)) & 255)] += 1
    for d in range(first_byte, 8):
        h = hist + d * 256
        if h[(ks[0] >> (8 * d)) & 255] == m:
            continue  # every key has this byte
        total = 0
        for b in range(256):
            t = h[b]
            h[b] = total
            total += t
        if xs == NULL:
            for i in range(m):
                b = (ks[i] >> (8 * d)) & 255
                kd[h[b]] = ks[i]
                h[b] += 1
        else:
            for i in range(m):
                b = (ks[i] >> (8 * d)) & 255
                kd[h[b]] = ks[i]
                xd[h[b]] = xs[i]
                h[b] += 1
            xt = xs; xs = xd; xd = xt
        kt = ks; ks = kd; kd = kt
    if ks != key:
        memcpy(key, ks, m * sizeof(uint64_t))
        if xs != NULL:
            memcpy(idx, xs, m * sizeof(int32_t))


@cython.boundscheck(False)
@cython.wraparound(False)
def rank_correlations(const real[:, ::1] duration, const int64_t[::1] rows, const int64_t[::1] cols,
                      const double[::1] y, double sy, double[::1] out):
    """out[col] = Spearman correlation of duration[rows, col] with the trials' centred ranks y,
    for each col in cols.

    NaN counts as 0 and +-inf as the largest finite value of the dtype (np.nan_to_num); ties get
    average ranks; 0.0 where the column or y is constant. y: average ranks of the same trials
    minus their mean, sy = sqrt(mean(y * y)). At most 100,000 rows (sums stay exact).
    """
    cdef Py_ssize_t m = rows.shape[0], n_cols = cols.shape[0]
    cdef Py_ssize_t a, i, i0, i1, k, j, col
    cdef real x
    cdef double centre = (m + 1) / 2.0, rank, sum_y, sxx, sxy, sx
    cdef real big = FLT_MAX if real is float else DBL_MAX
    cdef uint64_t* ks
    cdef const real* row
    if m > 100_000:
        raise ValueError("at most 100,000 trials")
    for a in range(n_cols):
        if cols[a] < 0 or cols[a] >= duration.shape[1]:
            raise IndexError("column out of range")
    for i in range(m):
        if rows[i] < 0 or rows[i] >= duration.shape[0]:
            raise IndexError("row out of range")
    if y.shape[0] != m or out.shape[0] != duration.shape[1]:
        raise ValueError("y must have one value per row and out one per column")
    if m == 0 or n_cols == 0:
        return
    cdef uint64_t* keys = <uint64_t*>malloc(n_cols * m * sizeof(uint64_t))  # column by column
    cdef uint64_t* key2 = <uint64_t*>malloc(m * sizeof(uint64_t))
    cdef int32_t* idx = <int32_t*>malloc(2 * m * sizeof(int32_t))
    cdef int64_t* hist = <int64_t*>malloc(8 * 256 * sizeof(int64_t))
    if keys == NULL or key2 == NULL or idx == NULL or hist == NULL:
        free(keys); free(key2); free(idx); free(hist)
        raise MemoryError()
    try:
        with nogil:
            # Keys stored a column at a time, read 64 rows at a time (a transposing copy: the
            # tile's rows stay in cache while each column's keys are written in order).
            for i0 in range(0, m, 64):
                i1 = min(i0 + 64, m)
                for a in range(n_cols):
                    col = cols[a]
                    for i in range(i0, i1):
                        x = duration[rows[i], col]
                        x = 0 if x != x else (big if x > big else (-big if x < -big else x))
                        keys[a * m + i] = _key(x)
            for a in range(n_cols):
                col = cols[a]
                ks = keys + a * m
                if real is float:
                    # A float's key in the high half, its trial in the low: one array to sort (by
                    # the high half; the low half comes along), trials read back from the keys.
                    for i in range(m):
                        ks[i] = (ks[i] << 32) | <uint64_t>i
                    _radix_sort(ks, NULL, key2, NULL, m, 4, hist)
                else:
                    for i in range(m):
                        idx[i] = <int32_t>i
                    _radix_sort(ks, idx, key2, idx + m, m, 0, hist)
                sxx = 0.0
                sxy = 0.0
                i = 0
                while i < m:  # a run of equal values over sorted positions i..j-1: rank (i + j + 1) / 2
                    j = i + 1
                    if real is float:
                        while j < m and (ks[j] >> 32) == (ks[i] >> 32):
                            j += 1
                    else:
                        while j < m and ks[j] == ks[i]:
                            j += 1
                    rank = 0.5 * (i + j + 1) - centre
                    sum_y = 0.0
                    for k in range(i, j):
                        if real is float:
                            sum_y += y[<Py_ssize_t>(ks[k] & <uint64_t>0xFFFFFFFF)]
                        else:
                            sum_y += y[idx[k]]
                    sxx += rank * rank * (j - i)
                    sxy += rank * sum_y
                    i = j
                sx = sqrt(sxx / m)
                if sx > 0 and sy > 0:
                    out[col] = (sxy / m) / (sx * sy)
                else:
                    out[col] = 0.0
    finally:
        free(keys)
        free(key2)
        free(idx)
        free(hist)


@cython.boundscheck(False)
@cython.wraparound(False)
def tally(const uint8_t[:, ::1] state, const uint8_t[:, ::1] critical, const double[:, ::1] finish,
          int64_t[::1] ran, int64_t[::1] succeeded, int64_t[::1] crit, double[::1] makespan,
          float[:, ::1] kept, const double[:, ::1] start, float[:, ::1] duration,
          float[::1] kept_min, float[::1] kept_max, int64_t[::1] kept_count):
    """Per task, add the trials it ran in (state != 0), succeeded in (state == 1) and the sum of
    `critical`; per trial, makespan = the latest finish (NaN skipped), at least 0.0.

    In the same pass over the rows, the first kept.shape[0] trials' finish times are kept as
    float32 (NaN where the task did not succeed), and the first duration.shape[0] trials'
    durations as float32(finish - start): the chunk is read once, not once per summary. The
    kept values' minimum, maximum (NaN skipped, compared in row order as column_percentiles'
    pass 1 does) and count per task are updated as they are written."""
    cdef Py_ssize_t n = state.shape[0], T = state.shape[1], i, t
    cdef Py_ssize_t k = kept.shape[0], kd = duration.shape[0]
    cdef double mk, f
    cdef float v
    cdef const float* krow
    cdef float* kmin = NULL
    cdef float* kmax = NULL
    cdef int64_t* kcount = NULL
    if critical.shape[0] != n or finish.shape[0] != n or makespan.shape[0] != n:
        raise ValueError("one row per trial")
    if critical.shape[1] != T or finish.shape[1] != T or ran.shape[0] != T or succeeded.shape[0] != T \
            or crit.shape[0] != T:
        raise ValueError("one column per task")
    if k > n or kd > n or start.shape[0] < kd or (k and kept.shape[1] != T) \
            or (kd and (duration.shape[1] != T or start.shape[1] != T)):
        raise ValueError("kept rows and durations: at most one row per trial, one column per task")
    if k and (kept_min.shape[0] != T or kept_max.shape[0] != T or kept_count.shape[0] != T):
        raise ValueError("the kept values' minimum, maximum and count: one per task")
    if k:
        kmin = &kept_min[0]
        kmax = &kept_max[0]
        kcount = &kept_count[0]
    with nogil:
        for i in range(n):
            for t in range(T):
                ran[t] += state[i, t] != 0
                succeeded[t] += state[i, t] == 1
                crit[t] += critical[i, t]
            mk = 0.0
            for t in range(T):
                f = finish[i, t]
                if f > mk:  # false for NaN
                    mk = f
            makespan[i] = mk
            if i < k:
                for t in range(T):
                    kept[i, t] = <float>finish[i, t] if state[i, t] == 1 else <float>NAN
                # A loop of its own over the row just written (in cache), which vectorises.
                krow = &kept[i, 0]
                for t in range(T):
                    v = krow[t]
                    kmin[t] = v if v < kmin[t] else kmin[t]
                    kmax[t] = v if v > kmax[t] else kmax[t]
                for t in range(T):
                    kcount[t] += krow[t] == krow[t]
            if i < kd:
                for t in range(T):
                    duration[i, t] = <float>(finish[i, t] - start[i, t])
