pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";

// Opens the criteria encoding and binds it to the one public criteria hash.
//
// Criteria are private inputs so that the public signals stay few (one hash instead of ~40
// values); the verifier compiles the query itself and compares hashes, so the prover cannot
// swap in different criteria. Decoding happens once per proof, not once per record.
//
// A scalar slot is one packed word (183 bits, LSB first; see gateway/cohort/criteria.ts):
//   [0,4) field index, [4,21) lo, [21,38) hi, [38] negate, [39,183) eight 18-bit set values.
// The Num2Bits that unpacks it is also the range check that lets ScalarCriterion feed lo and hi
// to LessEqThan(17): a bound >= 2^17 cannot be encoded at all. Set values get 18 bits so that
// 2^17, a value no record field can take, is available as the "no set" sentinel.
//
// A diagnosis slot is a negate bit and M code elements; codes are 248-bit digests and are only
// compared for equality, so they need no range check.
//
// criteriaHash = Poseidon(schemaId, slot[0..S-1], Poseidon(negate_d, codes_d[0..M-1]) for each d)
// The schema id makes a hash meaningless under a different field layout or scaling.
template CriteriaDecoder(S, M, DS, DM, F) {
    signal input schemaId;
    signal input scalarSlots[S];
    signal input dxNegate[DS];
    signal input dxCodes[DS][DM];

    signal output criteriaHash;
    signal output select[S][F];
    signal output lo[S];
    signal output hi[S];
    signal output negate[S];
    signal output set[S][M];

    component bits[S];
    component isField[S][F];
    var field;
    var acc;
    for (var s = 0; s < S; s++) {
        bits[s] = Num2Bits(39 + 18 * M);
        bits[s].in <== scalarSlots[s];

        field = 0;
        for (var b = 0; b < 4; b++) field += bits[s].out[b] * (1 << b);
        acc = 0;
        for (var b = 0; b < 17; b++) acc += bits[s].out[4 + b] * (1 << b);
        lo[s] <== acc;
        acc = 0;
        for (var b = 0; b < 17; b++) acc += bits[s].out[21 + b] * (1 << b);
        hi[s] <== acc;
        negate[s] <== bits[s].out[38];
        for (var j = 0; j < M; j++) {
            acc = 0;
            for (var b = 0; b < 18; b++) acc += bits[s].out[39 + 18 * j + b] * (1 << b);
            set[s][j] <== acc;
        }

        // One-hot selector over the fields. Requiring exactly one hit rejects indices >= F,
        // which would otherwise select nothing and compare 0 against the bounds.
        var hits = 0;
        for (var f = 0; f < F; f++) {
            isField[s][f] = IsEqual();
            isField[s][f].in[0] <== field;
            isField[s][f].in[1] <== f;
            select[s][f] <== isField[s][f].out;
            hits += isField[s][f].out;
        }
        hits === 1;
    }

    component dxHash[DS];
    for (var d = 0; d < DS; d++) {
        dxNegate[d] * (dxNegate[d] - 1) === 0;
        dxHash[d] = Poseidon(1 + DM);
        dxHash[d].inputs[0] <== dxNegate[d];
        for (var j = 0; j < DM; j++) dxHash[d].inputs[1 + j] <== dxCodes[d][j];
    }

    component hash = Poseidon(1 + S + DS);
    hash.inputs[0] <== schemaId;
    for (var s = 0; s < S; s++) hash.inputs[1 + s] <== scalarSlots[s];
    for (var d = 0; d < DS; d++) hash.inputs[1 + S + d] <== dxHash[d].out;
    criteriaHash <== hash.out;
}
