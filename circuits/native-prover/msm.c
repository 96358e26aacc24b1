#include "msm.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "parallel.h"

#define MAX_WINDOW_BITS 15 /* digits are int16_t: |digit| <= 2^(c-1) */
#define SCALAR_BITS 254    /* every scalar is below r < 2^254 */
#define MSM_BATCH 1024     /* most additions sharing one inversion */
#define MSM_DEFER 2048     /* points waiting for a bucket that is in the current batch */
#define MSM_AFFINE_MIN_BITS 9
#define MSM_DEFER_PER_BUCKET 2

/* Additions per batch for nb buckets: a bigger batch spreads the inversion over more additions, but
 * the fuller the batch, the more often a point finds its bucket already in it and must wait. */
static int batch_cap(size_t nb) { return nb / 2 < MSM_BATCH ? (int)(nb / 2) : MSM_BATCH; }

/* Lanes of the bucket reduction for nb buckets: ~sqrt(nb * inversion / Jacobian addition), a power
 * of two; lane_bias is log2 of that cost ratio for the group (see msm_reduce). */
static size_t reduce_lanes(size_t nb, int lane_bias) {
    int log_nb = 0;
    while (((size_t)1 << log_nb) < nb) log_nb++;
    size_t lanes = (size_t)1 << ((log_nb + lane_bias) / 2);
    if (lanes > nb) lanes = nb;
    return lanes > MSM_BATCH ? MSM_BATCH : lanes;
}

/* Costs in units of one mixed Jacobian addition, measured on Zen 3 (G1; G2 scales about the same):
 * one affine addition in a batch of n with its share of the inversion, adding one point into a
 * window, and reducing one window's buckets (two batched affine additions per bucket plus the lanes'
 * Jacobian tail). */
static double affine_cost(int n) { return 0.4 + 27.0 / n; }
static double point_cost(int c) {
    if (c < MSM_AFFINE_MIN_BITS) return 1.0;
    return affine_cost(batch_cap((size_t)1 << (c - 1)));
}
static double window_reduce_cost(int c) {
    const size_t nb = (size_t)1 << (c - 1);
    if (c < MSM_AFFINE_MIN_BITS) return 2.4 * (double)nb;
    const size_t lanes = reduce_lanes(nb, 4);
    return 2.0 * (double)nb * affine_cost((int)lanes) + 3.2 * (double)lanes;
}

typedef struct {
    msm_job *job;
    uint32_t *idx;   /* bases that matter: non-zero scalar, base not at infinity */
    size_t m;
    int c, nwin;
    int16_t *digits; /* [nwin][m], signed window digits of scalars[idx[i]] */
    size_t *nonzero; /* per window: how many digits are not 0 */
    void *windows;   /* per window result, g1_jac[nwin] or g2_jac[nwin] */
} msm_plan;

/* MSM_LANE_BIAS: log2 of (inversion / Jacobian addition) for the group, see msm_reduce */
#define MSM_G(name) g1_##name
#define MSM_F(name) fp_##name
#define MSM_FT fp_t
#define MSM_LANE_BIAS 4
#include "msm_impl.h"
#undef MSM_G
#undef MSM_F
#undef MSM_FT
#undef MSM_LANE_BIAS
#define MSM_G(name) g2_##name
#define MSM_F(name) fp2_##name
#define MSM_FT fp2_t
#define MSM_LANE_BIAS 2
#include "msm_impl.h"
#undef MSM_G
#undef MSM_F
#undef MSM_FT
#undef MSM_LANE_BIAS

static int bit_length(const fr_t *k) {
    for (int i = 3; i >= 0; i--) {
        if (k->v[i]) return 64 * i + 64 - __builtin_clzll(k->v[i]);
    }
    return 0;
}

/*
 * The window width minimising the estimated work: each window costs one mixed addition per scalar
 * with bits left in or above it, plus ~2 full additions per bucket to sum the buckets. Circuit
 * witnesses are full of bits and small counters, so the bit-length histogram matters.
 */
static int choose_window(const size_t hist[SCALAR_BITS + 1]) {
    size_t above[SCALAR_BITS + 2]; /* above[b]: scalars with bit length > b */
    above[SCALAR_BITS + 1] = 0;
    above[SCALAR_BITS] = 0;
    for (int b = SCALAR_BITS - 1; b >= 0; b--) above[b] = above[b + 1] + hist[b + 1];
    int best = 2;
    double best_cost = -1;
    for (int c = 2; c <= MAX_WINDOW_BITS; c++) {
        const int nwin = SCALAR_BITS / c + 1;
        double cost = 0;
        for (int w = 0; w < nwin; w++) {
            const int low = w * c;
            /* a borrow from the window below reaches at most one bit further */
            const size_t active = low == 0 ? above[0] : above[low - 1 < SCALAR_BITS ? low - 1 : SCALAR_BITS];
            if (active == 0) continue;
            cost += (double)active * point_cost(c) + window_reduce_cost(c);
        }
        if (best_cost < 0 || cost < best_cost) { best_cost = cost; best = c; }
    }
    return best;
}

static void compute_digits(msm_plan *plan, size_t begin, size_t end) {
    const int c = plan->c;
    const u64 mask = ((u64)1 << c) - 1;
    const int half = 1 << (c - 1);
    for (size_t i = begin; i < end; i++) {
        const u64 *k = plan->job->scalars[plan->idx[i]].v;
        int carry = 0;
        for (int w = 0; w < plan->nwin; w++) {
            const int bit = w * c, limb = bit >> 6, off = bit & 63;
            u64 v = 0;
            if (limb < 4) {
                v = k[limb] >> off;
                if (off + c > 64 && limb + 1 < 4) v |= k[limb + 1] << (64 - off);
                v &= mask;
            }
            int d = (int)v + carry;
            carry = d > half;
            if (carry) d -= 1 << c;
            plan->digits[(size_t)w * plan->m + i] = (int16_t)d;
        }
    }
}

typedef struct {
    int plan, window;
    double cost;
} msm_task;

typedef struct {
    msm_plan *plans;
    int nplans;
    msm_task *tasks;
    int ntasks;
    atomic_int next;
    size_t scratch_bytes; /* per thread: the largest window's buckets */
} msm_pool;

static void digits_part(void *ctx, int part, int parts) {
    msm_pool *pool = ctx;
    for (int p = 0; p < pool->nplans; p++) {
        size_t begin, end;
        parallel_range(pool->plans[p].m, part, parts, &begin, &end);
        compute_digits(&pool->plans[p], begin, end);
    }
}

static void windows_part(void *ctx, int part, int parts) {
    (void)part;
    (void)parts;
    msm_pool *pool = ctx;
    void *buckets = malloc(pool->scratch_bytes);
    if (!buckets) abort();
    for (;;) {
        const int t = atomic_fetch_add(&pool->next, 1);
        if (t >= pool->ntasks) break;
        msm_plan *plan = &pool->plans[pool->tasks[t].plan];
        if (plan->job->group == 1) g1_msm_window(plan, pool->tasks[t].window, buckets);
        else g2_msm_window(plan, pool->tasks[t].window, buckets);
    }
    free(buckets);
}

static int by_cost_desc(const void *a, const void *b) {
    const double ca = ((const msm_task *)a)->cost, cb = ((const msm_task *)b)->cost;
    return (ca < cb) - (ca > cb);
}

void msm_run(msm_job *jobs, int njobs, int threads) {
    msm_plan *plans = calloc((size_t)njobs, sizeof *plans);
    if (!plans) abort();
    int ntasks = 0;
    for (int j = 0; j < njobs; j++) {
        msm_plan *plan = &plans[j];
        plan->job = &jobs[j];
        plan->idx = malloc((jobs[j].n ? jobs[j].n : 1) * sizeof(uint32_t));
        if (!plan->idx) abort();
        size_t hist[SCALAR_BITS + 1] = {0};
        for (size_t i = 0; i < jobs[j].n; i++) {
            if (fr_is_zero(&jobs[j].scalars[i])) continue;
            if (jobs[j].group == 1 ? g1_msm_base_is_inf(&jobs[j], i) : g2_msm_base_is_inf(&jobs[j], i)) continue;
            plan->idx[plan->m++] = (uint32_t)i;
            hist[bit_length(&jobs[j].scalars[i])]++;
        }
        plan->c = choose_window(hist);
        plan->nwin = SCALAR_BITS / plan->c + 1;
        plan->digits = malloc((size_t)plan->nwin * (plan->m ? plan->m : 1) * sizeof(int16_t));
        plan->nonzero = calloc((size_t)plan->nwin, sizeof(size_t));
        plan->windows = malloc((size_t)plan->nwin * (jobs[j].group == 1 ? sizeof(g1_jac) : sizeof(g2_jac)));
        if (!plan->digits || !plan->nonzero || !plan->windows) abort();
        ntasks += plan->nwin;
    }

    msm_pool pool = {plans, njobs, NULL, 0, 0, 64};
    for (int j = 0; j < njobs; j++) {
        const size_t bytes = jobs[j].group == 1 ? g1_window_bytes(plans[j].c) : g2_window_bytes(plans[j].c);
        if (bytes > pool.scratch_bytes) pool.scratch_bytes = bytes;
    }
    parallel_run(threads, digits_part, &pool);

    pool.tasks = malloc((size_t)(ntasks ? ntasks : 1) * sizeof *pool.tasks);
    if (!pool.tasks) abort();
    for (int j = 0; j < njobs; j++) {
        msm_plan *plan = &plans[j];
        const double weight = jobs[j].group == 1 ? 1.0 : 3.3;
        for (int w = 0; w < plan->nwin; w++) {
            const int16_t *d = plan->digits + (size_t)w * plan->m;
            size_t nz = 0;
            for (size_t i = 0; i < plan->m; i++) nz += d[i] != 0;
            plan->nonzero[w] = nz;
            pool.tasks[pool.ntasks].plan = j;
            pool.tasks[pool.ntasks].window = w;
            pool.tasks[pool.ntasks].cost = weight * ((double)nz * point_cost(plan->c) + window_reduce_cost(plan->c));
            pool.ntasks++;
        }
    }
    qsort(pool.tasks, (size_t)pool.ntasks, sizeof *pool.tasks, by_cost_desc);
    atomic_store(&pool.next, 0);
    parallel_run(threads, windows_part, &pool);

    for (int j = 0; j < njobs; j++) {
        if (jobs[j].group == 1) g1_msm_combine(&plans[j]);
        else g2_msm_combine(&plans[j]);
        free(plans[j].idx);
        free(plans[j].digits);
        free(plans[j].nonzero);
        free(plans[j].windows);
    }
    free(pool.tasks);
    free(plans);
}
