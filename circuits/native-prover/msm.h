/*
 * Multi-scalar multiplication sum(k_i * P_i) over affine bases, Pippenger's bucket method with signed
 * window digits. Several MSMs run as one pool of (MSM, window) tasks, biggest first, so both cores
 * stay busy to the end even when one MSM is small.
 */
#ifndef CARELEDGER_MSM_H
#define CARELEDGER_MSM_H

#include <stddef.h>
#include "bn254.h"

typedef struct {
    int group;           /* 1: bases are g1_aff and result g1_jac; 2: g2_aff and g2_jac */
    const void *bases;
    const fr_t *scalars; /* normal form, each below r */
    size_t n;
    void *result;
} msm_job;

void msm_run(msm_job *jobs, int njobs, int threads);

#endif
