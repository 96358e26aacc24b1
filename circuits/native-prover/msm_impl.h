/*
 * Per-group MSM pieces, instantiated by msm.c for G1 and G2 (MSM_G(name) = g1_name / g2_name,
 * MSM_F(name) = fp_name / fp2_name, MSM_FT the coordinate field type).
 *
 * Wide windows accumulate buckets in affine form, a batch at a time: the batch's x-differences are
 * inverted together (Montgomery's trick, one inversion per batch) so each addition costs ~6
 * independent multiplications instead of the 11 dependent ones of a mixed Jacobian addition. A
 * point whose bucket is already in the batch waits in a deferred list for the next batch; a second
 * one for the same bucket goes to that bucket's Jacobian overflow sum instead, since witnesses hold
 * thousands of 1s and small values that all land in a few buckets. Narrow
 * windows (few buckets, so batches would be tiny) use Jacobian buckets and mixed additions.
 */
#define G MSM_G
#define F MSM_F
#define FT MSM_FT

typedef struct {
    G(aff) *bucket;
    uint8_t *filled;   /* bucket holds a point (not infinity) */
    uint8_t *busy;     /* bucket has an addition in the current batch */
    uint8_t *deferred; /* bucket has a point in the deferred list */
    uint8_t *overflowed;
    G(jac) *overflow;
    uint32_t *batch_k; /* batch: bucket, point, x difference, prefix product */
    G(aff) *batch_p;
    FT *batch_dx, *batch_prefix;
    int n, cap;
    uint32_t *defer_k;
    G(aff) *defer_p;
    int nd;
} G(accumulator);

static size_t G(acc_bytes)(size_t nb) {
    return nb * (sizeof(G(aff)) + sizeof(G(jac)) + 4) + MSM_BATCH * (sizeof(uint32_t) + sizeof(G(aff)) + 2 * sizeof(FT)) +
           MSM_DEFER * (sizeof(uint32_t) + sizeof(G(aff))) + 64;
}

static void G(acc_init)(G(accumulator) *a, void *mem, size_t nb) {
    char *p = mem;
    a->bucket = (G(aff) *)p; p += nb * sizeof(G(aff));
    a->overflow = (G(jac) *)p; p += nb * sizeof(G(jac));
    a->batch_p = (G(aff) *)p; p += MSM_BATCH * sizeof(G(aff));
    a->defer_p = (G(aff) *)p; p += MSM_DEFER * sizeof(G(aff));
    a->batch_dx = (FT *)p; p += MSM_BATCH * sizeof(FT);
    a->batch_prefix = (FT *)p; p += MSM_BATCH * sizeof(FT);
    a->batch_k = (uint32_t *)p; p += MSM_BATCH * sizeof(uint32_t);
    a->defer_k = (uint32_t *)p; p += MSM_DEFER * sizeof(uint32_t);
    a->filled = (uint8_t *)p; p += nb;
    a->busy = (uint8_t *)p; p += nb;
    a->deferred = (uint8_t *)p; p += nb;
    a->overflowed = (uint8_t *)p;
    memset(a->filled, 0, 4 * nb); /* filled, busy, deferred, overflowed are consecutive */
    a->n = 0;
    a->nd = 0;
    a->cap = (int)(nb / 4 < MSM_BATCH ? nb / 4 : MSM_BATCH);
    if (a->cap < 1) a->cap = 1;
}

/* bucket[k] = bucket[k] + p for the whole batch */
static void G(acc_flush)(G(accumulator) *a) {
    const int n = a->n;
    if (n == 0) return;
    FT inv, t, lambda, x3;
    a->batch_prefix[0] = a->batch_dx[0];
    for (int j = 1; j < n; j++) F(mul)(&a->batch_prefix[j], &a->batch_prefix[j - 1], &a->batch_dx[j]);
    F(inv)(&inv, &a->batch_prefix[n - 1]);
    for (int j = n - 1; j >= 0; j--) {
        FT inv_j;
        if (j > 0) {
            F(mul)(&inv_j, &inv, &a->batch_prefix[j - 1]);
            F(mul)(&inv, &inv, &a->batch_dx[j]);
        } else {
            inv_j = inv;
        }
        G(aff) *b = &a->bucket[a->batch_k[j]];
        const G(aff) *p = &a->batch_p[j];
        F(sub)(&t, &p->y, &b->y);
        F(mul)(&lambda, &t, &inv_j);
        F(sqr)(&x3, &lambda);
        F(sub)(&x3, &x3, &b->x);
        F(sub)(&x3, &x3, &p->x);
        F(sub)(&t, &b->x, &x3);
        F(mul)(&t, &lambda, &t);
        F(sub)(&b->y, &t, &b->y);
        b->x = x3;
        a->busy[a->batch_k[j]] = 0;
    }
    a->n = 0;
}

static void G(acc_drain)(G(accumulator) *a);

/* bucket[k] += p: now, in a later batch, or in the bucket's overflow sum */
static void G(acc_add)(G(accumulator) *a, uint32_t k, const G(aff) *p) {
    if (a->busy[k]) {
        if (a->deferred[k]) {
            if (a->overflowed[k]) G(madd)(&a->overflow[k], &a->overflow[k], p);
            else G(from_aff)(&a->overflow[k], p);
            a->overflowed[k] = 1;
            return;
        }
        if (a->nd < MSM_DEFER) {
            a->deferred[k] = 1;
            a->defer_k[a->nd] = k;
            a->defer_p[a->nd++] = *p;
            return;
        }
        G(acc_drain)(a); /* leaves no bucket busy */
    }
    G(aff) *b = &a->bucket[k];
    if (!a->filled[k]) {
        *b = *p;
        a->filled[k] = 1;
        return;
    }
    if (F(eq)(&b->x, &p->x)) {
        /* same x: p == b (double it, rare enough for the slow path) or p == -b (empty) */
        if (F(eq)(&b->y, &p->y)) {
            G(jac) j;
            G(from_aff)(&j, b);
            G(dbl)(&j, &j);
            a->filled[k] = (uint8_t)G(to_aff)(b, &j);
        } else {
            a->filled[k] = 0;
        }
        return;
    }
    const int j = a->n++;
    a->batch_k[j] = k;
    a->batch_p[j] = *p;
    F(sub)(&a->batch_dx[j], &p->x, &b->x);
    a->busy[k] = 1;
    if (a->n == a->cap) G(acc_flush)(a);
}

/* Flushes the batch, then admits the deferred points: one per bucket, so none is deferred again. */
static void G(acc_drain)(G(accumulator) *a) {
    G(acc_flush)(a);
    const int count = a->nd;
    a->nd = 0;
    for (int e = 0; e < count; e++) a->deferred[a->defer_k[e]] = 0;
    for (int e = 0; e < count; e++) G(acc_add)(a, a->defer_k[e], &a->defer_p[e]);
    G(acc_flush)(a);
}

static void G(msm_window_affine)(msm_plan *plan, int w, void *mem) {
    const G(aff) *bases = plan->job->bases;
    const size_t nb = (size_t)1 << (plan->c - 1);
    G(accumulator) a;
    G(acc_init)(&a, mem, nb);
    const int16_t *d = plan->digits + (size_t)w * plan->m;
    const uint32_t *idx = plan->idx;
    for (size_t i = 0; i < plan->m; i++) {
        const int di = d[i];
        if (di == 0) continue;
        G(aff) p;
        if (di > 0) p = bases[idx[i]];
        else G(neg_aff)(&p, &bases[idx[i]]);
        G(acc_add)(&a, (uint32_t)(di > 0 ? di : -di) - 1, &p);
    }
    G(acc_drain)(&a);
    /* sum_k (k + 1) * bucket[k] as a running sum from the top */
    G(jac) acc, sum;
    G(set_inf)(&acc);
    G(set_inf)(&sum);
    for (size_t k = nb; k-- > 0;) {
        if (a.filled[k]) G(madd)(&acc, &acc, &a.bucket[k]);
        if (a.overflowed[k]) G(add)(&acc, &acc, &a.overflow[k]);
        G(add)(&sum, &sum, &acc);
    }
    ((G(jac) *)plan->windows)[w] = sum;
}

static void G(msm_window_jacobian)(msm_plan *plan, int w, void *mem) {
    G(jac) *buckets = mem;
    const G(aff) *bases = plan->job->bases;
    const size_t nb = (size_t)1 << (plan->c - 1);
    for (size_t k = 0; k < nb; k++) G(set_inf)(&buckets[k]);
    const int16_t *d = plan->digits + (size_t)w * plan->m;
    const uint32_t *idx = plan->idx;
    for (size_t i = 0; i < plan->m; i++) {
        const int di = d[i];
        if (di > 0) {
            G(madd)(&buckets[di - 1], &buckets[di - 1], &bases[idx[i]]);
        } else if (di < 0) {
            G(aff) neg;
            G(neg_aff)(&neg, &bases[idx[i]]);
            G(madd)(&buckets[-di - 1], &buckets[-di - 1], &neg);
        }
    }
    G(jac) acc, sum;
    G(set_inf)(&acc);
    G(set_inf)(&sum);
    for (size_t k = nb; k-- > 0;) {
        G(add)(&acc, &acc, &buckets[k]);
        G(add)(&sum, &sum, &acc);
    }
    ((G(jac) *)plan->windows)[w] = sum;
}

static void G(msm_window)(msm_plan *plan, int w, void *mem) {
    if (plan->nonzero[w] == 0) { G(set_inf)(&((G(jac) *)plan->windows)[w]); return; }
    if (plan->c >= MSM_AFFINE_MIN_BITS) G(msm_window_affine)(plan, w, mem);
    else G(msm_window_jacobian)(plan, w, mem);
}

static size_t G(window_bytes)(int c) {
    const size_t nb = (size_t)1 << (c - 1);
    return c >= MSM_AFFINE_MIN_BITS ? G(acc_bytes)(nb) : nb * sizeof(G(jac));
}

static void G(msm_combine)(msm_plan *plan) {
    G(jac) *windows = plan->windows, res;
    G(set_inf)(&res);
    for (int w = plan->nwin - 1; w >= 0; w--) {
        for (int i = 0; i < plan->c; i++) G(dbl)(&res, &res);
        G(add)(&res, &res, &windows[w]);
    }
    *(G(jac) *)plan->job->result = res;
}

static int G(msm_base_is_inf)(const msm_job *job, size_t i) { return G(aff_is_inf)(&((const G(aff) *)job->bases)[i]); }

#undef G
#undef F
#undef FT
