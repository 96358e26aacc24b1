/*
 * Per-group MSM pieces, instantiated by msm.c for G1 and G2 (MSM_G(name) = g1_name / g2_name,
 * MSM_F(name) = fp_name / fp2_name, MSM_FT the coordinate field type).
 *
 * Wide windows accumulate buckets in affine form, a batch at a time: the batch's x-differences are
 * inverted together (Montgomery's trick, one inversion per batch) so each addition costs ~6
 * independent multiplications instead of the 11 dependent ones of a mixed Jacobian addition. A
 * point whose bucket is already in the batch waits in a deferred list and goes into the next batch;
 * only a bucket hit again and again within one batch (witnesses hold thousands of 1s and small
 * values, which all land in a few buckets) sends the excess to a Jacobian overflow sum. The buckets
 * are then summed with batched affine additions too (msm_reduce). Narrow windows (few buckets, so
 * batches would be tiny) use Jacobian buckets and mixed additions.
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
    /* bucket reduction: per lane a running sum and a weighted sum, both affine (see msm_reduce) */
    G(aff) *lane_run, *lane_sum;
    uint8_t *lane_run_filled, *lane_sum_filled, *lane_busy;
} G(accumulator);

static size_t G(acc_bytes)(size_t nb) {
    return nb * (sizeof(G(aff)) + sizeof(G(jac)) + 4) + MSM_BATCH * (sizeof(uint32_t) + sizeof(G(aff)) + 2 * sizeof(FT)) +
           MSM_DEFER * (sizeof(uint32_t) + sizeof(G(aff))) + MSM_BATCH * (2 * sizeof(G(aff)) + 3) + 64;
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
    a->lane_run = (G(aff) *)p; p += MSM_BATCH * sizeof(G(aff));
    a->lane_sum = (G(aff) *)p; p += MSM_BATCH * sizeof(G(aff));
    a->lane_run_filled = (uint8_t *)p; p += MSM_BATCH;
    a->lane_sum_filled = (uint8_t *)p; p += MSM_BATCH;
    a->lane_busy = (uint8_t *)p; p += MSM_BATCH;
    a->filled = (uint8_t *)p; p += nb;
    a->busy = (uint8_t *)p; p += nb;
    a->deferred = (uint8_t *)p; p += nb;
    a->overflowed = (uint8_t *)p;
    memset(a->filled, 0, 4 * nb); /* filled, busy, deferred, overflowed are consecutive */
    a->n = 0;
    a->nd = 0;
    a->cap = batch_cap(nb);
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

/* bucket[k] += p for a bucket that is not in the current batch: at once when the bucket is empty or
 * the addition is a doubling or cancels (rare, slow path), else as one more addition of the batch */
static void G(acc_admit)(G(accumulator) *a, uint32_t k, const G(aff) *p) {
    G(aff) *b = &a->bucket[k];
    if (!a->filled[k]) {
        *b = *p;
        a->filled[k] = 1;
        return;
    }
    if (F(eq)(&b->x, &p->x)) {
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
}

/* After a flush no bucket is busy: the waiting points go first into the new batch, except a second
 * one for the same bucket, which waits for the batch after. */
static void G(acc_readmit)(G(accumulator) *a) {
    int keep = 0;
    for (int e = 0; e < a->nd; e++) {
        const uint32_t k = a->defer_k[e];
        if (!a->busy[k] && a->n < a->cap) {
            a->deferred[k]--;
            G(acc_admit)(a, k, &a->defer_p[e]);
        } else {
            a->defer_k[keep] = k;
            a->defer_p[keep++] = a->defer_p[e];
        }
    }
    a->nd = keep;
}

/*
 * bucket[k] += p: in the current batch; or, when the bucket already has an addition in it, in a later
 * batch (the point waits in the deferred list); or, for a bucket with MSM_DEFER_PER_BUCKET points
 * already waiting, in the bucket's Jacobian overflow sum. Without that cap one hot bucket (witnesses
 * hold thousands of 1s, which all land in the same bucket) would fill the list and make every batch
 * tiny; without the list every collision would pay for a Jacobian addition.
 */
static void G(acc_add)(G(accumulator) *a, uint32_t k, const G(aff) *p) {
    if (a->busy[k]) {
        if (a->deferred[k] < MSM_DEFER_PER_BUCKET && a->nd < MSM_DEFER) {
            a->deferred[k]++;
            a->defer_k[a->nd] = k;
            a->defer_p[a->nd++] = *p;
            return;
        }
        if (a->overflowed[k]) G(madd)(&a->overflow[k], &a->overflow[k], p);
        else G(from_aff)(&a->overflow[k], p);
        a->overflowed[k] = 1;
        return;
    }
    G(acc_admit)(a, k, p);
    while (a->n == a->cap) {
        G(acc_flush)(a);
        G(acc_readmit)(a);
    }
}

/* Empties the batch and the deferred list: each round admits at least one waiting point. */
static void G(acc_drain)(G(accumulator) *a) {
    while (a->n > 0 || a->nd > 0) {
        G(acc_flush)(a);
        G(acc_readmit)(a);
    }
}

/*
 * Adds each bucket's Jacobian overflow sum into the bucket, so that all buckets are affine for the
 * reduction: the overflow sums go affine a batch at a time (their z's inverted together, stored in
 * the lane area, which is free until the reduction), then join their buckets like any other point.
 */
static void G(acc_fold_overflow)(G(accumulator) *a, size_t nb) {
    G(aff) *pts = a->lane_run;
    FT *pre = a->batch_prefix; /* free: the batch is empty */
    uint32_t *ks = a->defer_k; /* free: nothing is deferred */
    size_t k = 0;
    while (k < nb) {
        int n = 0;
        for (; k < nb && n < MSM_BATCH; k++) {
            if (!a->overflowed[k]) continue;
            a->overflowed[k] = 0;
            if (G(is_inf)(&a->overflow[k])) continue;
            ks[n] = (uint32_t)k;
            if (n == 0) pre[0] = a->overflow[k].z;
            else F(mul)(&pre[n], &pre[n - 1], &a->overflow[k].z);
            n++;
        }
        if (n == 0) break;
        FT inv, zi, zi2;
        F(inv)(&inv, &pre[n - 1]);
        for (int j = n - 1; j >= 0; j--) {
            const G(jac) *o = &a->overflow[ks[j]];
            if (j > 0) {
                F(mul)(&zi, &inv, &pre[j - 1]);
                F(mul)(&inv, &inv, &o->z);
            } else {
                zi = inv;
            }
            F(sqr)(&zi2, &zi);
            F(mul)(&pts[j].x, &o->x, &zi2);
            F(mul)(&zi2, &zi2, &zi);
            F(mul)(&pts[j].y, &o->y, &zi2);
        }
        /* distinct buckets and none busy: each goes straight into a batch, never to the lists, and
         * ks (the deferred list's storage) stays untouched */
        for (int j = 0; j < n; j++) G(acc_add)(a, ks[j], &pts[j]);
        G(acc_drain)(a);
    }
}

/*
 * sum_k (k + 1) * bucket[k]. The classic running sum (from the top: run += bucket[k], sum += run) is
 * two dependent additions per bucket, so it cannot share inversions. Instead the buckets are cut
 * into S lanes of L consecutive ones, each lane runs its own running sum, and the S lanes advance
 * together: each step is two batches of S affine additions with one inversion each. Lane s ends with
 * run_s = sum of its buckets and sum_s = sum_i (i + 1) bucket[s L + i]; then the result is
 * sum_s sum_s + L * sum_s s run_s, the last term a short Jacobian running sum and log2 L doublings.
 * S ~ sqrt(nb * inversion / Jacobian addition) balances the inversions against that tail.
 */
static void G(msm_reduce)(G(accumulator) *a, size_t nb, G(jac) *out) {
    const size_t lanes = reduce_lanes(nb, MSM_LANE_BIAS);
    const size_t len = nb / lanes;
    G(accumulator) run = *a, sum = *a;
    run.bucket = a->lane_run;
    run.filled = a->lane_run_filled;
    run.busy = a->lane_busy;
    run.n = 0;
    sum.bucket = a->lane_sum;
    sum.filled = a->lane_sum_filled;
    sum.busy = a->lane_busy;
    sum.n = 0;
    memset(a->lane_run_filled, 0, lanes);
    memset(a->lane_sum_filled, 0, lanes);
    memset(a->lane_busy, 0, lanes);
    for (size_t i = len; i-- > 0;) {
        for (size_t s = 0; s < lanes; s++) {
            const size_t k = s * len + i;
            if (a->filled[k]) G(acc_admit)(&run, (uint32_t)s, &a->bucket[k]);
        }
        G(acc_flush)(&run);
        for (size_t s = 0; s < lanes; s++) {
            if (run.filled[s]) G(acc_admit)(&sum, (uint32_t)s, &run.bucket[s]);
        }
        G(acc_flush)(&sum);
    }
    G(jac) r, t, total;
    G(set_inf)(&r);
    G(set_inf)(&t);
    for (size_t s = lanes; s-- > 1;) {
        if (run.filled[s]) G(madd)(&r, &r, &run.bucket[s]);
        G(add)(&t, &t, &r);
    }
    for (size_t l = len; l > 1; l >>= 1) G(dbl)(&t, &t);
    total = t;
    for (size_t s = 0; s < lanes; s++) {
        if (sum.filled[s]) G(madd)(&total, &total, &sum.bucket[s]);
    }
    *out = total;
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
    G(acc_fold_overflow)(&a, nb);
    G(msm_reduce)(&a, nb, &((G(jac) *)plan->windows)[w]);
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
