pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "circomlib/circuits/babyjub.circom";

// Pedersen commitment to a count on Baby Jubjub: count*G + blinding*H.
//
// Per-chunk counts must never be public (a chunk is 16 patients, so any count is a small cell).
// A Pedersen commitment hides the count perfectly for a uniform blinding < l, and it is
// additively homomorphic: the verifier adds the chunk commitments itself, and threshold_release
// then opens only the SUM, and only when the sum reaches the minimum cell size. Binding rests on
// nobody knowing log_G(H).
//   G = Base8, the generator of the prime-order subgroup used by circomlib's EdDSA.
//   H = circomlib's first Pedersen-hash generator, hashed from "PedersenGenerator_0..." (blake),
//       so its discrete log to G is unknown. gateway/cohort/count-commitment.ts re-derives it.
template CountCommitment(nCountBits) {
    signal input count;
    signal input blinding;
    signal output point[2];

    var G[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    var H[2] = [
        10457101036533406547632367118273992217979173478358440826365724437999023779287,
        19824078218392094440610104313265183977899662750282163392862422243483260492317
    ];

    // 253 bits: 2^253 < p, so the decomposition is unique; the prover draws blinding < l.
    component countBits = Num2Bits(nCountBits);
    countBits.in <== count;
    component blindingBits = Num2Bits(253);
    blindingBits.in <== blinding;

    component countTimesG = EscalarMulFix(nCountBits, G);
    countTimesG.e <== countBits.out;
    component blindingTimesH = EscalarMulFix(253, H);
    blindingTimesH.e <== blindingBits.out;

    component sum = BabyAdd();
    sum.x1 <== countTimesG.out[0];
    sum.y1 <== countTimesG.out[1];
    sum.x2 <== blindingTimesH.out[0];
    sum.y2 <== blindingTimesH.out[1];
    point[0] <== sum.xout;
    point[1] <== sum.yout;
}
