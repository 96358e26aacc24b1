pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "circomlib/circuits/babyjub.circom";

// Releases a hospital's total count only if it reaches the minimum cell size.
// Public signals: [releasedCount, aggregate.x, aggregate.y, minCellSize].
//
// The verifier computes aggregate = sum of the chunk commitments of cohort_count (Pedersen
// commitments add up), so aggregate = total*G + (sum of blindings)*H. Opening it here with
// (total, blinding) proves the total without any chunk count ever leaving the hospital.
// releasedCount = total when total >= minCellSize, else 0; minCellSize >= 1 is policy, so 0
// reads unambiguously as "below the minimum cell size" (i2b2/SHRINE's "< n").
template ThresholdRelease(nBits) {
    signal input aggregate[2];
    signal input minCellSize;
    signal input total;
    signal input blinding;
    signal output releasedCount;

    var G[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    var H[2] = [
        10457101036533406547632367118273992217979173478358440826365724437999023779287,
        19824078218392094440610104313265183977899662750282163392862422243483260492317
    ];

    // Both comparator inputs are range-checked: LessThan(nBits) is unsound beyond 2^nBits.
    component totalBits = Num2Bits(nBits);
    totalBits.in <== total;
    component minBits = Num2Bits(nBits);
    minBits.in <== minCellSize;
    component blindingBits = Num2Bits(253);
    blindingBits.in <== blinding;

    component totalTimesG = EscalarMulFix(nBits, G);
    totalTimesG.e <== totalBits.out;
    component blindingTimesH = EscalarMulFix(253, H);
    blindingTimesH.e <== blindingBits.out;
    component opened = BabyAdd();
    opened.x1 <== totalTimesG.out[0];
    opened.y1 <== totalTimesG.out[1];
    opened.x2 <== blindingTimesH.out[0];
    opened.y2 <== blindingTimesH.out[1];
    opened.xout === aggregate[0];
    opened.yout === aggregate[1];

    component enough = GreaterEqThan(nBits);
    enough.in[0] <== total;
    enough.in[1] <== minCellSize;
    releasedCount <== enough.out * total;
}
