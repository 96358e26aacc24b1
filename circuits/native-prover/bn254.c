/* Constants and the slow (non-inline) BN254 operations: inversions, powers, decimal output. */
#include "bn254.h"

fp_t FP_ONE, FP_R2;
fr_t FR_ONE, FR_R2;
fp_t G1_B;
fp2_t G2_B;

/* 2^k mod q by doubling, for k up to 512 */
static void pow2_mod(u64 out[4], int k, const u64 q[4]) {
    u64 x[4] = {1, 0, 0, 0};
    for (int i = 0; i < k; i++) mod_add(x, x, x, q);
    memcpy(out, x, sizeof x);
}

static u64 neg_inverse64(u64 q0) {
    u64 inv = 1;
    for (int i = 0; i < 7; i++) inv *= 2 - q0 * inv; /* Newton: doubles the correct bits */
    return (u64)0 - inv;
}

/* Fixed 4-bit windows: 252 squarings and at most 64 multiplications (plain square-and-multiply
 * needs ~128 for these exponents); the inversion inside every MSM batch is a Fermat power. */
static void mont_pow(u64 out[4], const u64 base[4], const u64 exp[4], const u64 one[4], const u64 q[4], u64 inv) {
    u64 table[16][4], acc[4];
    memcpy(table[0], one, sizeof table[0]);
    memcpy(table[1], base, sizeof table[1]);
    for (int i = 2; i < 16; i++) mont_mul(table[i], table[i - 1], base, q, inv);
    memcpy(acc, one, sizeof acc);
    for (int nib = 63; nib >= 0; nib--) {
        if (nib != 63) {
            for (int i = 0; i < 4; i++) mont_mul(acc, acc, acc, q, inv);
        }
        const unsigned d = (unsigned)(exp[nib >> 4] >> (4 * (nib & 15))) & 15;
        if (d) mont_mul(acc, acc, table[d], q, inv);
    }
    memcpy(out, acc, sizeof acc);
}

static void minus2(u64 out[4], const u64 q[4]) {
    memcpy(out, q, 4 * sizeof(u64));
    out[0] -= 2; /* q is odd and its low limb is above 2 for both moduli */
}

void fp_inv(fp_t *r, const fp_t *a) {
    u64 e[4];
    minus2(e, FP_Q);
    mont_pow(r->v, a->v, e, FP_ONE.v, FP_Q, FP_INV);
}

void fr_pow(fr_t *r, const fr_t *base, const u64 exp[4]) { mont_pow(r->v, base->v, exp, FR_ONE.v, FR_Q, FR_INV); }

void fr_inv(fr_t *r, const fr_t *a) {
    u64 e[4];
    minus2(e, FR_Q);
    fr_pow(r, a, e);
}

void fp2_inv(fp2_t *r, const fp2_t *a) {
    /* 1 / (a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2) since u^2 = -1 */
    fp_t t0, t1, n;
    fp_sqr(&t0, &a->c0);
    fp_sqr(&t1, &a->c1);
    fp_add(&n, &t0, &t1);
    fp_inv(&n, &n);
    fp_mul(&r->c0, &a->c0, &n);
    fp_mul(&t1, &a->c1, &n);
    fp_neg(&r->c1, &t1);
}

int bn254_init(void) {
    if (neg_inverse64(FP_Q[0]) != FP_INV || neg_inverse64(FR_Q[0]) != FR_INV) return -1;
    pow2_mod(FP_ONE.v, 256, FP_Q);
    pow2_mod(FP_R2.v, 512, FP_Q);
    pow2_mod(FR_ONE.v, 256, FR_Q);
    pow2_mod(FR_R2.v, 512, FR_Q);

    fp_t three = {{3, 0, 0, 0}};
    fp_mul(&G1_B, &three, &FP_R2);
    fp2_t nine_u;
    fp_t nine = {{9, 0, 0, 0}};
    fp_mul(&nine_u.c0, &nine, &FP_R2);
    nine_u.c1 = FP_ONE;
    fp2_inv(&nine_u, &nine_u);
    fp2_t b3 = {G1_B, {{0, 0, 0, 0}}};
    fp2_mul(&G2_B, &b3, &nine_u);

    /* the G1 generator (1, 2) must be on the curve: catches a broken multiplication at start-up */
    g1_aff gen;
    fp_t one = {{1, 0, 0, 0}}, two = {{2, 0, 0, 0}};
    fp_mul(&gen.x, &one, &FP_R2);
    fp_mul(&gen.y, &two, &FP_R2);
    if (!g1_aff_on_curve(&gen, &G1_B)) return -1;
    return 0;
}

void limbs_to_decimal(char *out, const u64 a[4]) {
    u64 x[4] = {a[0], a[1], a[2], a[3]};
    char digits[96]; /* whole 19-digit chunks: up to 5 of them for 78 digits */
    int n = 0;
    const u64 base = 10000000000000000000ULL; /* 10^19 */
    while (!limbs_is_zero(x)) {
        u128 rem = 0;
        for (int i = 3; i >= 0; i--) {
            u128 cur = (rem << 64) | x[i];
            x[i] = (u64)(cur / base);
            rem = cur % base;
        }
        u64 chunk = (u64)rem;
        for (int d = 0; d < 19; d++) { digits[n++] = (char)('0' + chunk % 10); chunk /= 10; }
    }
    while (n > 1 && digits[n - 1] == '0') n--;
    if (n == 0) digits[n++] = '0';
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    out[n] = 0;
}
