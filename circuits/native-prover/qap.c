/*
 * The FFTs avoid bit-reversal passes: the inverse transform is decimation-in-frequency (natural order
 * in, bit-reversed out), the coset shift multiplies coefficient rev(i) at position i, and the forward
 * transform is decimation-in-time (bit-reversed in, natural out). With T threads the stages whose
 * butterflies stay inside n/T-sized blocks run per block in one pass (inverse tail, shift, forward
 * head); only the log2(T) widest stages of each transform are split by butterfly.
 */
#include "qap.h"

#include <stdlib.h>
#include <time.h>

#include "parallel.h"

#define FR_TWO_ADICITY 28

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t bit_reverse(size_t x, int bits) {
    size_t r = 0;
    for (int i = 0; i < bits; i++) { r = (r << 1) | (x & 1); x >>= 1; }
    return r;
}

static u64 read_u32(const uint8_t *p) { return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24; }

static void read_fr(fr_t *r, const uint8_t *p) {
    for (int i = 0; i < 4; i++) {
        u64 v = 0;
        for (int b = 7; b >= 0; b--) v = (v << 8) | p[8 * i + b];
        r->v[i] = v;
    }
}

/* ffjavascript's roots of unity: w_28 = nqr^t with r - 1 = 2^28 t and nqr the smallest quadratic
 * non-residue from 2 up; w_k = w_{k+1}^2. snarkjs's domain root is w_power and its coset is w_{power+1}. */
static void root_of_unity(fr_t *out, int k) {
    u64 half[4], t[4];
    /* (r - 1) / 2 and (r - 1) / 2^28; r - 1 only clears the lowest bit */
    u64 rm1[4] = {FR_Q[0] - 1, FR_Q[1], FR_Q[2], FR_Q[3]};
    for (int i = 0; i < 4; i++) half[i] = (rm1[i] >> 1) | (i < 3 ? rm1[i + 1] << 63 : 0);
    for (int i = 0; i < 4; i++) t[i] = (rm1[i] >> FR_TWO_ADICITY) | (i < 3 ? rm1[i + 1] << (64 - FR_TWO_ADICITY) : 0);
    fr_t minus_one, nqr, e;
    fr_neg(&minus_one, &FR_ONE);
    for (u64 cand = 2;; cand++) {
        fr_t plain = {{cand, 0, 0, 0}};
        fr_to_mont(&nqr, &plain);
        fr_pow(&e, &nqr, half);
        if (limbs_eq(e.v, minus_one.v)) break;
    }
    fr_t w;
    fr_pow(&w, &nqr, t);
    for (int i = FR_TWO_ADICITY; i > k; i--) fr_sqr(&w, &w);
    *out = w;
}

const char *qap_init(qap_t *q, int power, const uint8_t *section, size_t size, uint32_t n_vars) {
    if (power < 1 || power + 1 > FR_TWO_ADICITY) return "zkey domain size out of range";
    const size_t n = (size_t)1 << power;
    q->power = power;
    q->n = n;
    if (size < 4) return "zkey coefficient section too short";
    const size_t ncoef = read_u32(section);
    const size_t entry_size = 12 + 32;
    if (size != 4 + ncoef * entry_size) return "zkey coefficient section has the wrong size";

    q->roots = malloc(n / 2 * sizeof(fr_t));
    q->iroots = malloc(n / 2 * sizeof(fr_t));
    q->shift_rev = malloc(n * sizeof(fr_t));
    q->row_start = calloc(n + 1, sizeof(size_t));
    q->entries = malloc((ncoef ? ncoef : 1) * sizeof(qap_entry));
    q->a = malloc(n * sizeof(fr_t));
    q->b = malloc(n * sizeof(fr_t));
    q->c = malloc(n * sizeof(fr_t));
    if (!q->roots || !q->iroots || !q->shift_rev || !q->row_start || !q->entries || !q->a || !q->b || !q->c) return "out of memory";

    fr_t w, wi, g, n_plain = {{n, 0, 0, 0}}, n_inv;
    root_of_unity(&w, power);
    root_of_unity(&g, power + 1);
    fr_inv(&wi, &w);
    fr_to_mont(&n_inv, &n_plain);
    fr_inv(&n_inv, &n_inv);
    q->roots[0] = FR_ONE;
    q->iroots[0] = FR_ONE;
    for (size_t j = 1; j < n / 2; j++) {
        fr_mul(&q->roots[j], &q->roots[j - 1], &w);
        fr_mul(&q->iroots[j], &q->iroots[j - 1], &wi);
    }
    fr_t gj = n_inv;
    for (size_t j = 0; j < n; j++) {
        q->shift_rev[bit_reverse(j, power)] = gj;
        fr_mul(&gj, &gj, &g);
    }

    /* counting sort by constraint so each thread owns a range of rows */
    for (size_t i = 0; i < ncoef; i++) {
        const uint8_t *e = section + 4 + i * entry_size;
        const u64 m = read_u32(e), c = read_u32(e + 4), s = read_u32(e + 8);
        if (m > 1 || c >= n || s >= n_vars) return "zkey coefficient out of range";
        q->row_start[c + 1]++;
    }
    for (size_t c = 0; c < n; c++) q->row_start[c + 1] += q->row_start[c];
    size_t *fill = malloc(n * sizeof(size_t));
    if (!fill) return "out of memory";
    memcpy(fill, q->row_start, n * sizeof(size_t));
    for (size_t i = 0; i < ncoef; i++) {
        const uint8_t *e = section + 4 + i * entry_size;
        qap_entry *out = &q->entries[fill[read_u32(e + 4)]++];
        out->matrix = (uint32_t)read_u32(e);
        out->signal = (uint32_t)read_u32(e + 8);
        read_fr(&out->coef, e + 12);
        if (!limbs_lt(out->coef.v, FR_Q)) { free(fill); return "zkey coefficient is not a field element"; }
    }
    free(fill);
    return NULL;
}

typedef struct {
    qap_t *q;
    const fr_t *witness;
    fr_t *h;
    int fft_parts;
    size_t len; /* the stage a split-by-butterfly pass runs */
} qap_ctx;

static void abc_part(void *arg, int part, int parts) {
    qap_ctx *ctx = arg;
    qap_t *q = ctx->q;
    size_t begin, end;
    parallel_range(q->n, part, parts, &begin, &end);
    for (size_t c = begin; c < end; c++) {
        fr_t acc[2] = {{{0, 0, 0, 0}}, {{0, 0, 0, 0}}}, t;
        for (size_t k = q->row_start[c]; k < q->row_start[c + 1]; k++) {
            const qap_entry *e = &q->entries[k];
            fr_mul(&t, &e->coef, &ctx->witness[e->signal]);
            fr_add(&acc[e->matrix], &acc[e->matrix], &t);
        }
        q->a[c] = acc[0];
        q->b[c] = acc[1];
        fr_mul(&q->c[c], &acc[0], &acc[1]);
    }
}

/* one decimation-in-frequency stage of width len over butterflies [b0, b1) */
static void dif_stage(fr_t *x, size_t n, size_t len, const fr_t *tw, size_t b0, size_t b1) {
    const size_t half = len >> 1, step = n / len;
    for (size_t b = b0; b < b1; b++) {
        const size_t j = b & (half - 1), i = (b / half) * len + j;
        fr_t u = x[i], v = x[i + half], d;
        fr_add(&x[i], &u, &v);
        fr_sub(&d, &u, &v);
        fr_mul(&x[i + half], &d, &tw[j * step]);
    }
}

/* one decimation-in-time stage of width len over butterflies [b0, b1) */
static void dit_stage(fr_t *x, size_t n, size_t len, const fr_t *tw, size_t b0, size_t b1) {
    const size_t half = len >> 1, step = n / len;
    for (size_t b = b0; b < b1; b++) {
        const size_t j = b & (half - 1), i = (b / half) * len + j;
        fr_t u = x[i], v;
        fr_mul(&v, &x[i + half], &tw[j * step]);
        fr_add(&x[i], &u, &v);
        fr_sub(&x[i + half], &u, &v);
    }
}

static void dif_wide_part(void *arg, int part, int parts) {
    qap_ctx *ctx = arg;
    qap_t *q = ctx->q;
    size_t b0, b1;
    parallel_range(q->n / 2, part, parts, &b0, &b1);
    fr_t *arrays[3] = {q->a, q->b, q->c};
    for (int k = 0; k < 3; k++) dif_stage(arrays[k], q->n, ctx->len, q->iroots, b0, b1);
}

static void dit_wide_part(void *arg, int part, int parts) {
    qap_ctx *ctx = arg;
    qap_t *q = ctx->q;
    size_t b0, b1;
    parallel_range(q->n / 2, part, parts, &b0, &b1);
    fr_t *arrays[3] = {q->a, q->b, q->c};
    for (int k = 0; k < 3; k++) dit_stage(arrays[k], q->n, ctx->len, q->roots, b0, b1);
}

/* block `part` of n / parts elements: inverse transform's narrow stages, coset shift, forward
 * transform's narrow stages. Stage butterflies are indexed inside the block, then offset. */
static void narrow_part(void *arg, int part, int parts) {
    qap_ctx *ctx = arg;
    qap_t *q = ctx->q;
    const size_t n = q->n, block = n / (size_t)parts, base = block * (size_t)part;
    fr_t *arrays[3] = {q->a, q->b, q->c};
    for (int k = 0; k < 3; k++) {
        fr_t *x = arrays[k] + base;
        for (size_t len = block; len >= 2; len >>= 1) {
            const size_t half = len >> 1, step = n / len;
            for (size_t i = 0; i < block; i += len) {
                for (size_t j = 0; j < half; j++) {
                    fr_t u = x[i + j], v = x[i + j + half], d;
                    fr_add(&x[i + j], &u, &v);
                    fr_sub(&d, &u, &v);
                    fr_mul(&x[i + j + half], &d, &q->iroots[j * step]);
                }
            }
        }
        for (size_t i = 0; i < block; i++) fr_mul(&x[i], &x[i], &q->shift_rev[base + i]);
        for (size_t len = 2; len <= block; len <<= 1) {
            const size_t half = len >> 1, step = n / len;
            for (size_t i = 0; i < block; i += len) {
                for (size_t j = 0; j < half; j++) {
                    fr_t u = x[i + j], v;
                    fr_mul(&v, &x[i + j + half], &q->roots[j * step]);
                    fr_add(&x[i + j], &u, &v);
                    fr_sub(&x[i + j + half], &u, &v);
                }
            }
        }
    }
}

static void join_part(void *arg, int part, int parts) {
    qap_ctx *ctx = arg;
    qap_t *q = ctx->q;
    size_t begin, end;
    parallel_range(q->n, part, parts, &begin, &end);
    for (size_t i = begin; i < end; i++) {
        fr_t t;
        fr_mul(&t, &q->a[i], &q->b[i]);
        fr_sub(&t, &t, &q->c[i]);
        fr_from_mont(&ctx->h[i], &t);
    }
}

void qap_h(qap_t *q, const fr_t *witness, fr_t *h, int threads, double *ms_abc, double *ms_fft) {
    qap_ctx ctx = {q, witness, h, 1, 0};
    const double t0 = now_ms();
    parallel_run(threads, abc_part, &ctx);
    const double t1 = now_ms();

    int parts = 1;
    while (parts * 2 <= threads && (q->n / (size_t)(parts * 2)) >= 2) parts *= 2;
    const size_t block = q->n / (size_t)parts;
    for (ctx.len = q->n; ctx.len > block; ctx.len >>= 1) parallel_run(threads, dif_wide_part, &ctx);
    parallel_run(parts, narrow_part, &ctx);
    for (ctx.len = block * 2; ctx.len <= q->n; ctx.len <<= 1) parallel_run(threads, dit_wide_part, &ctx);
    parallel_run(threads, join_part, &ctx);
    const double t2 = now_ms();
    *ms_abc = t1 - t0;
    *ms_fft = t2 - t1;
}
