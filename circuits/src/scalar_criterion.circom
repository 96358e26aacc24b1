pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";

// One scalar criterion on one record: ok = (lo <= x <= hi) AND ((x in set) XOR negate),
// where x is the field picked by the one-hot selector.
//
// Every operator of the query language compiles to this single shape (gateway/cohort/criteria.ts),
// which is why one trusted setup serves every query:
//   eq v        -> [v, v], no set          lt/lte/gt/gte/between -> [lo, hi], no set
//   in / nin    -> [present, max], set, negate 0 / 1              ne v -> nin {v}
// "No set" is the sentinel 2^17 with negate = 1: no field value equals it, so the set test is
// always true. Absent values are stored as 0 and every compiled range for a field that can be
// absent starts at 1, so a comparison on a missing lab is false, as in SQL.
//
// Range soundness: x comes from RecordFields (< 2^17) and lo, hi from CriteriaDecoder (< 2^17),
// the precondition of LessEqThan(17). hi + 1 may equal 2^17, which LessThan(17) still handles
// because it decomposes x + 2^17 - (hi + 1) into 18 bits.
template ScalarCriterion(F, M) {
    signal input fields[F];
    signal input select[F];
    signal input lo;
    signal input hi;
    signal input negate;
    signal input set[M];
    signal output ok;

    // Selector products: F constraints, the price of letting any slot test any field.
    signal picked[F];
    var x = 0;
    for (var f = 0; f < F; f++) {
        picked[f] <== select[f] * fields[f];
        x += picked[f];
    }

    component aboveLo = LessEqThan(17);
    aboveLo.in[0] <== lo;
    aboveLo.in[1] <== x;
    component belowHi = LessEqThan(17);
    belowHi.in[0] <== x;
    belowHi.in[1] <== hi;

    // x is in the set iff the product of (x - s_j) vanishes (the field has no zero divisors).
    signal partial[M];
    partial[0] <== x - set[0];
    for (var j = 1; j < M; j++) partial[j] <== partial[j - 1] * (x - set[j]);
    component isMember = IsZero();
    isMember.in <== partial[M - 1];
    signal setOk <== isMember.out + negate - 2 * isMember.out * negate;

    signal inRange <== aboveLo.out * belowHi.out;
    ok <== inRange * setOk;
}
