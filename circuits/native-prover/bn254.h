/*
 * BN254 ("bn128" in snarkjs) arithmetic: Fp and Fr in Montgomery form with R = 2^256 and 4 x 64-bit
 * limbs, Fp2 = Fp[u]/(u^2 + 1), and Jacobian points on G1 (over Fp) and G2 (over Fp2).
 *
 * R = 2^256 is the Montgomery radix ffjavascript uses for both fields, so the little-endian
 * Montgomery coordinates stored in a .zkey are loaded as-is (bn254_init checks every loaded point is
 * on its curve, which would fail at once with any other radix).
 *
 * On x86-64 with BMI2 and ADX (what -march=native gives on any recent CPU) multiplication, addition
 * and subtraction are inline assembly; elsewhere the portable __int128 versions are used.
 */
#ifndef CARELEDGER_BN254_H
#define CARELEDGER_BN254_H

#include <stdint.h>
#include <string.h>

typedef uint64_t u64;
typedef unsigned __int128 u128;

typedef struct { u64 v[4]; } fp_t;
typedef struct { u64 v[4]; } fr_t;
typedef struct { fp_t c0, c1; } fp2_t;

/* p and r are below 2^254, so a + b never overflows 256 bits and the Montgomery product can skip the
 * carry out of the top limb (the "no-carry" CIOS variant). */
static const u64 FP_Q[4] = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
static const u64 FR_Q[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
#define FP_INV 0x87d20782e4866389ULL /* -p^-1 mod 2^64 */
#define FR_INV 0xc2e1f593efffffffULL /* -r^-1 mod 2^64 */

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
/*
 * The same CIOS product with mulx and two independent carry chains (adcx on CF, adox on OF): GCC
 * turns the __int128 version below into ~400 instructions, this is ~140. Each step adds a * b[i]
 * and m * q into t0..t4 and drops the zero low word by renaming registers instead of moving them.
 */
#define MONT_STEP(BI, T0, T1, T2, T3, T4)                                                         \
    "movq " BI ", %%rdx\n\t"                                                                      \
    "xorl %k[z], %k[z]\n\t"                                                                       \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], " T0 "\n\t" "adcxq %[hi], " T1 "\n\t"        \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], " T1 "\n\t" "adcxq %[hi], " T2 "\n\t"        \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], " T2 "\n\t" "adcxq %[hi], " T3 "\n\t"       \
    "mulxq 24(%[a]), %[lo], " T4 "\n\t" "adoxq %[lo], " T3 "\n\t"                                \
    "adcxq %[z], " T4 "\n\t" "adoxq %[z], " T4 "\n\t"                                             \
    "movq " T0 ", %%rdx\n\t"                                                                      \
    "imulq %[inv], %%rdx\n\t"                                                                     \
    "xorl %k[z], %k[z]\n\t"                                                                       \
    "mulxq 0(%[q]), %[lo], %[hi]\n\t" "adoxq %[lo], " T0 "\n\t" "adcxq %[hi], " T1 "\n\t"        \
    "mulxq 8(%[q]), %[lo], %[hi]\n\t" "adoxq %[lo], " T1 "\n\t" "adcxq %[hi], " T2 "\n\t"        \
    "mulxq 16(%[q]), %[lo], %[hi]\n\t" "adoxq %[lo], " T2 "\n\t" "adcxq %[hi], " T3 "\n\t"       \
    "mulxq 24(%[q]), %[lo], %[hi]\n\t" "adoxq %[lo], " T3 "\n\t" "adcxq %[hi], " T4 "\n\t"       \
    "adoxq %[z], " T4 "\n\t"

static inline void mont_mul(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4], u64 inv) {
    u64 r0, r1, r2, r3, r4, lo, hi, z;
    __asm__("xorl %k[r0], %k[r0]\n\t"
            "xorl %k[r1], %k[r1]\n\t"
            "xorl %k[r2], %k[r2]\n\t"
            "xorl %k[r3], %k[r3]\n\t"
            MONT_STEP("0(%[b])", "%[r0]", "%[r1]", "%[r2]", "%[r3]", "%[r4]")
            MONT_STEP("8(%[b])", "%[r1]", "%[r2]", "%[r3]", "%[r4]", "%[r0]")
            MONT_STEP("16(%[b])", "%[r2]", "%[r3]", "%[r4]", "%[r0]", "%[r1]")
            MONT_STEP("24(%[b])", "%[r3]", "%[r4]", "%[r0]", "%[r1]", "%[r2]")
            /* result (r4, r0, r1, r2) < 2q: subtract q unless that borrows */
            "movq %[r4], %[lo]\n\t" "subq 0(%[q]), %[lo]\n\t"
            "movq %[r0], %[hi]\n\t" "sbbq 8(%[q]), %[hi]\n\t"
            "movq %[r1], %[z]\n\t" "sbbq 16(%[q]), %[z]\n\t"
            "movq %[r2], %[r3]\n\t" "sbbq 24(%[q]), %[r3]\n\t"
            "cmovncq %[lo], %[r4]\n\t"
            "cmovncq %[hi], %[r0]\n\t"
            "cmovncq %[z], %[r1]\n\t"
            "cmovncq %[r3], %[r2]\n\t"
            /* scalar stores: GCC would merge them into one vector store that later 8-byte loads
             * cannot forward from */
            "movq %[r4], 0(%[out])\n\t" "movq %[r0], 8(%[out])\n\t" "movq %[r1], 16(%[out])\n\t" "movq %[r2], 24(%[out])\n\t"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4), [lo] "=&r"(lo), [hi] "=&r"(hi),
              [z] "=&r"(z), "=m"(*(u64(*)[4])out)
            : [a] "r"(a), [b] "r"(b), [q] "r"(q), [inv] "r"(inv), [out] "r"(out), "m"(*(const u64(*)[4])a), "m"(*(const u64(*)[4])b),
              "m"(*(const u64(*)[4])q)
            : "rdx", "cc");
}
#undef MONT_STEP
#define MONT_MUL_ASM 1
#endif

static inline void mont_mul_c(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4], u64 inv) {
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; i++) {
        const u64 bi = b[i];
        u128 x;
        u64 A, C, m;
        x = (u128)a[0] * bi + t0; t0 = (u64)x; A = (u64)(x >> 64);
        m = t0 * inv;
        x = (u128)m * q[0] + t0; C = (u64)(x >> 64);
        x = (u128)a[1] * bi + t1 + A; t1 = (u64)x; A = (u64)(x >> 64);
        x = (u128)m * q[1] + t1 + C; t0 = (u64)x; C = (u64)(x >> 64);
        x = (u128)a[2] * bi + t2 + A; t2 = (u64)x; A = (u64)(x >> 64);
        x = (u128)m * q[2] + t2 + C; t1 = (u64)x; C = (u64)(x >> 64);
        x = (u128)a[3] * bi + t3 + A; t3 = (u64)x; A = (u64)(x >> 64);
        x = (u128)m * q[3] + t3 + C; t2 = (u64)x; C = (u64)(x >> 64);
        t3 = C + A;
    }
    /* t < 2q: subtract q once unless that borrows */
    u128 d;
    u64 s0, s1, s2, s3, borrow;
    d = (u128)t0 - q[0]; s0 = (u64)d; borrow = (u64)(d >> 64) & 1;
    d = (u128)t1 - q[1] - borrow; s1 = (u64)d; borrow = (u64)(d >> 64) & 1;
    d = (u128)t2 - q[2] - borrow; s2 = (u64)d; borrow = (u64)(d >> 64) & 1;
    d = (u128)t3 - q[3] - borrow; s3 = (u64)d; borrow = (u64)(d >> 64) & 1;
    const u64 keep = (u64)0 - borrow;
    out[0] = (t0 & keep) | (s0 & ~keep);
    out[1] = (t1 & keep) | (s1 & ~keep);
    out[2] = (t2 & keep) | (s2 & ~keep);
    out[3] = (t3 & keep) | (s3 & ~keep);
}
#ifndef MONT_MUL_ASM
#define mont_mul mont_mul_c
#endif

static inline void mod_add_c(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4]) {
    u128 x;
    u64 t[4], s[4], carry = 0, borrow = 0;
    for (int i = 0; i < 4; i++) { x = (u128)a[i] + b[i] + carry; t[i] = (u64)x; carry = (u64)(x >> 64); }
    for (int i = 0; i < 4; i++) { x = (u128)t[i] - q[i] - borrow; s[i] = (u64)x; borrow = (u64)(x >> 64) & 1; }
    const u64 keep = (u64)0 - borrow;
    for (int i = 0; i < 4; i++) out[i] = (t[i] & keep) | (s[i] & ~keep);
}

static inline void mod_sub_c(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4]) {
    u128 x;
    u64 t[4], borrow = 0, carry = 0;
    for (int i = 0; i < 4; i++) { x = (u128)a[i] - b[i] - borrow; t[i] = (u64)x; borrow = (u64)(x >> 64) & 1; }
    const u64 mask = (u64)0 - borrow;
    for (int i = 0; i < 4; i++) { x = (u128)t[i] + (q[i] & mask) + carry; out[i] = (u64)x; carry = (u64)(x >> 64); }
}

#ifdef MONT_MUL_ASM
/* GCC also spends ~120 instructions on the __int128 add/sub chains; these are ~20. */
static inline void mod_add(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4]) {
    u64 r0, r1, r2, r3, s0, s1, s2, s3;
    __asm__("movq 0(%[a]), %[r0]\n\t" "addq 0(%[b]), %[r0]\n\t"
            "movq 8(%[a]), %[r1]\n\t" "adcq 8(%[b]), %[r1]\n\t"
            "movq 16(%[a]), %[r2]\n\t" "adcq 16(%[b]), %[r2]\n\t"
            "movq 24(%[a]), %[r3]\n\t" "adcq 24(%[b]), %[r3]\n\t"
            "movq %[r0], %[s0]\n\t" "subq 0(%[q]), %[s0]\n\t"
            "movq %[r1], %[s1]\n\t" "sbbq 8(%[q]), %[s1]\n\t"
            "movq %[r2], %[s2]\n\t" "sbbq 16(%[q]), %[s2]\n\t"
            "movq %[r3], %[s3]\n\t" "sbbq 24(%[q]), %[s3]\n\t"
            "cmovncq %[s0], %[r0]\n\t" "cmovncq %[s1], %[r1]\n\t" "cmovncq %[s2], %[r2]\n\t" "cmovncq %[s3], %[r3]\n\t"
            "movq %[r0], 0(%[out])\n\t" "movq %[r1], 8(%[out])\n\t" "movq %[r2], 16(%[out])\n\t" "movq %[r3], 24(%[out])\n\t"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2),
              [s3] "=&r"(s3), "=m"(*(u64(*)[4])out)
            : [a] "r"(a), [b] "r"(b), [q] "r"(q), [out] "r"(out), "m"(*(const u64(*)[4])a), "m"(*(const u64(*)[4])b),
              "m"(*(const u64(*)[4])q)
            : "cc");
}

static inline void mod_sub(u64 out[4], const u64 a[4], const u64 b[4], const u64 q[4]) {
    u64 r0, r1, r2, r3, s0, s1, s2, s3;
    __asm__("movq 0(%[a]), %[r0]\n\t" "subq 0(%[b]), %[r0]\n\t"
            "movq 8(%[a]), %[r1]\n\t" "sbbq 8(%[b]), %[r1]\n\t"
            "movq 16(%[a]), %[r2]\n\t" "sbbq 16(%[b]), %[r2]\n\t"
            "movq 24(%[a]), %[r3]\n\t" "sbbq 24(%[b]), %[r3]\n\t"
            "movl $0, %k[s0]\n\t" "movl $0, %k[s1]\n\t" "movl $0, %k[s2]\n\t" "movl $0, %k[s3]\n\t"
            "cmovcq 0(%[q]), %[s0]\n\t" "cmovcq 8(%[q]), %[s1]\n\t" "cmovcq 16(%[q]), %[s2]\n\t" "cmovcq 24(%[q]), %[s3]\n\t"
            "addq %[s0], %[r0]\n\t" "adcq %[s1], %[r1]\n\t" "adcq %[s2], %[r2]\n\t" "adcq %[s3], %[r3]\n\t"
            "movq %[r0], 0(%[out])\n\t" "movq %[r1], 8(%[out])\n\t" "movq %[r2], 16(%[out])\n\t" "movq %[r3], 24(%[out])\n\t"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2),
              [s3] "=&r"(s3), "=m"(*(u64(*)[4])out)
            : [a] "r"(a), [b] "r"(b), [q] "r"(q), [out] "r"(out), "m"(*(const u64(*)[4])a), "m"(*(const u64(*)[4])b),
              "m"(*(const u64(*)[4])q)
            : "cc");
}
#else
#define mod_add mod_add_c
#define mod_sub mod_sub_c
#endif

static inline int limbs_is_zero(const u64 a[4]) { return (a[0] | a[1] | a[2] | a[3]) == 0; }
static inline int limbs_eq(const u64 a[4], const u64 b[4]) {
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}
/* a < b as 256-bit integers */
static inline int limbs_lt(const u64 a[4], const u64 b[4]) {
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i]) return a[i] < b[i];
    }
    return 0;
}

/* ---- Fp ---- */
extern fp_t FP_ONE;   /* R mod p */
extern fp_t FP_R2;    /* R^2 mod p */
static inline void fp_mul(fp_t *r, const fp_t *a, const fp_t *b) { mont_mul(r->v, a->v, b->v, FP_Q, FP_INV); }
static inline void fp_sqr(fp_t *r, const fp_t *a) { mont_mul(r->v, a->v, a->v, FP_Q, FP_INV); }
static inline void fp_add(fp_t *r, const fp_t *a, const fp_t *b) { mod_add(r->v, a->v, b->v, FP_Q); }
static inline void fp_sub(fp_t *r, const fp_t *a, const fp_t *b) { mod_sub(r->v, a->v, b->v, FP_Q); }
static inline void fp_dbl(fp_t *r, const fp_t *a) { mod_add(r->v, a->v, a->v, FP_Q); }
static inline void fp_neg(fp_t *r, const fp_t *a) {
    static const u64 zero[4] = {0, 0, 0, 0};
    mod_sub(r->v, zero, a->v, FP_Q);
}
static inline int fp_is_zero(const fp_t *a) { return limbs_is_zero(a->v); }
static inline int fp_eq(const fp_t *a, const fp_t *b) { return limbs_eq(a->v, b->v); }
static inline void fp_zero(fp_t *r) { memset(r, 0, sizeof *r); }
static inline void fp_one(fp_t *r) { *r = FP_ONE; }
static inline void fp_from_mont(fp_t *r, const fp_t *a) {
    static const u64 one[4] = {1, 0, 0, 0};
    mont_mul(r->v, a->v, one, FP_Q, FP_INV);
}
void fp_inv(fp_t *r, const fp_t *a);

/* ---- Fr ---- */
extern fr_t FR_ONE;
extern fr_t FR_R2;
static inline void fr_mul(fr_t *r, const fr_t *a, const fr_t *b) { mont_mul(r->v, a->v, b->v, FR_Q, FR_INV); }
static inline void fr_sqr(fr_t *r, const fr_t *a) { mont_mul(r->v, a->v, a->v, FR_Q, FR_INV); }
static inline void fr_add(fr_t *r, const fr_t *a, const fr_t *b) { mod_add(r->v, a->v, b->v, FR_Q); }
static inline void fr_sub(fr_t *r, const fr_t *a, const fr_t *b) { mod_sub(r->v, a->v, b->v, FR_Q); }
static inline void fr_neg(fr_t *r, const fr_t *a) {
    static const u64 zero[4] = {0, 0, 0, 0};
    mod_sub(r->v, zero, a->v, FR_Q);
}
static inline int fr_is_zero(const fr_t *a) { return limbs_is_zero(a->v); }
static inline void fr_to_mont(fr_t *r, const fr_t *a) { fr_mul(r, a, &FR_R2); }
static inline void fr_from_mont(fr_t *r, const fr_t *a) {
    static const u64 one[4] = {1, 0, 0, 0};
    mont_mul(r->v, a->v, one, FR_Q, FR_INV);
}
void fr_pow(fr_t *r, const fr_t *base, const u64 exp[4]); /* Montgomery in and out */
void fr_inv(fr_t *r, const fr_t *a);

/* ---- Fp2 ---- */
static inline void fp2_add(fp2_t *r, const fp2_t *a, const fp2_t *b) { fp_add(&r->c0, &a->c0, &b->c0); fp_add(&r->c1, &a->c1, &b->c1); }
static inline void fp2_sub(fp2_t *r, const fp2_t *a, const fp2_t *b) { fp_sub(&r->c0, &a->c0, &b->c0); fp_sub(&r->c1, &a->c1, &b->c1); }
static inline void fp2_dbl(fp2_t *r, const fp2_t *a) { fp_dbl(&r->c0, &a->c0); fp_dbl(&r->c1, &a->c1); }
static inline void fp2_neg(fp2_t *r, const fp2_t *a) { fp_neg(&r->c0, &a->c0); fp_neg(&r->c1, &a->c1); }
static inline void fp2_mul(fp2_t *r, const fp2_t *a, const fp2_t *b) {
    fp_t t0, t1, sa, sb, m;
    fp_mul(&t0, &a->c0, &b->c0);
    fp_mul(&t1, &a->c1, &b->c1);
    fp_add(&sa, &a->c0, &a->c1);
    fp_add(&sb, &b->c0, &b->c1);
    fp_mul(&m, &sa, &sb);
    fp_sub(&r->c0, &t0, &t1);
    fp_sub(&m, &m, &t0);
    fp_sub(&r->c1, &m, &t1);
}
static inline void fp2_sqr(fp2_t *r, const fp2_t *a) {
    fp_t s, d, p;
    fp_add(&s, &a->c0, &a->c1);
    fp_sub(&d, &a->c0, &a->c1);
    fp_mul(&p, &a->c0, &a->c1);
    fp_mul(&r->c0, &s, &d);
    fp_dbl(&r->c1, &p);
}
static inline int fp2_is_zero(const fp2_t *a) { return fp_is_zero(&a->c0) && fp_is_zero(&a->c1); }
static inline int fp2_eq(const fp2_t *a, const fp2_t *b) { return fp_eq(&a->c0, &b->c0) && fp_eq(&a->c1, &b->c1); }
static inline void fp2_zero(fp2_t *r) { memset(r, 0, sizeof *r); }
static inline void fp2_one(fp2_t *r) { r->c0 = FP_ONE; fp_zero(&r->c1); }
void fp2_inv(fp2_t *r, const fp2_t *a);

/* ---- curves: the same Jacobian formulas (a = 0) instantiated over Fp and Fp2 ---- */
#define CURVE_F(name) fp_##name
#define CURVE_G(name) g1_##name
#define CURVE_FT fp_t
#include "curve_impl.h"
#undef CURVE_F
#undef CURVE_G
#undef CURVE_FT

#define CURVE_F(name) fp2_##name
#define CURVE_G(name) g2_##name
#define CURVE_FT fp2_t
#include "curve_impl.h"
#undef CURVE_F
#undef CURVE_G
#undef CURVE_FT

extern fp_t G1_B;  /* 3 */
extern fp2_t G2_B; /* 3 / (9 + u) */

/* Computes the Montgomery constants and checks the hard-coded ones; returns 0 on success. */
int bn254_init(void);

/* Decimal string of a 256-bit little-endian integer (normal form); out needs 80 bytes. */
void limbs_to_decimal(char *out, const u64 a[4]);

#endif
