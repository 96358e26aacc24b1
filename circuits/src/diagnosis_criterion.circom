pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";

// hasAnyDiagnosis (negate = 0) / hasNoDiagnosis (negate = 1) over a record's K diagnosis codes.
//
// The record has some code in the set iff the product of (dx_k - code_j) over all K*M pairs is 0,
// which costs K*M - 1 multiplications and one IsZero: cheaper than K*M IsEqual gadgets (2 each).
// Empty record slots hold 0 and unused set entries hold 1; real codes are 248-bit digests, so
// neither filler can match a real code (probability 2^-248), and an unused criterion slot is
// "has no diagnosis in {1,...}", which is always true.
template DiagnosisCriterion(K, M) {
    signal input dx[K];
    signal input negate;
    signal input codes[M];
    signal output ok;

    signal partial[K * M];
    partial[0] <== dx[0] - codes[0];
    for (var i = 1; i < K * M; i++) {
        partial[i] <== partial[i - 1] * (dx[i \ M] - codes[i % M]);
    }
    component hasAny = IsZero();
    hasAny.in <== partial[K * M - 1];
    ok <== hasAny.out + negate - 2 * hasAny.out * negate;
}
