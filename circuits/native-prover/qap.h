/*
 * The H scalars of a Groth16 proof, computed exactly as snarkjs 0.7 does: A and B evaluated on the
 * 2^power domain from the zkey's coefficient section, C = A * B pointwise, each interpolated and
 * re-evaluated on the coset w_{2n} * <w_n> (the "odd" points of the doubled domain, whose Lagrange
 * H points in the zkey already carry the 1/Z factor), then A * B - C there.
 */
#ifndef CARELEDGER_QAP_H
#define CARELEDGER_QAP_H

#include <stddef.h>
#include <stdint.h>
#include "bn254.h"

typedef struct {
    uint32_t signal;
    uint32_t matrix; /* 0: A, 1: B */
    fr_t coef;       /* as stored: coefficient * R^2 mod r, so coef (x) witness_normal is Montgomery */
} qap_entry;

typedef struct {
    int power;
    size_t n;
    fr_t *roots;       /* w^j for j < n/2, Montgomery */
    fr_t *iroots;      /* w^-j */
    fr_t *shift_rev;   /* shift_rev[i] = g^rev(i) / n, g the coset generator, rev the bit reversal */
    size_t *row_start; /* entries of constraint c are entries[row_start[c] .. row_start[c + 1]) */
    qap_entry *entries;
    fr_t *a, *b, *c;   /* per-proof workspace */
} qap_t;

/* Parses zkey section 4; returns NULL on success or a static error message. */
const char *qap_init(qap_t *q, int power, const uint8_t *section, size_t size, uint32_t n_vars);

/* h[0..n) = (A * B - C) on the coset in normal form, the scalars of the H MSM. Milliseconds spent
 * building A, B, C and in the FFTs go to *ms_abc and *ms_fft. */
void qap_h(qap_t *q, const fr_t *witness, fr_t *h, int threads, double *ms_abc, double *ms_fft);

#endif
