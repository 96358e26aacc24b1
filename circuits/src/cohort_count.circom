pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "./criteria_decoder.circom";
include "./record_matcher.circom";
include "./count_commitment.circom";

// Counts the records of one 16-record chunk that satisfy the criteria, without revealing the
// count: public signals are [commitment.x, commitment.y, chunkRoot, criteriaHash].
//
// Completeness and honesty of the input come from the commitment, not from trust:
//   leaf = present ? Poseidon(attrs, salt, dx[0..K-1]) : 0, chunkRoot = Poseidon16(leaves).
// The verifier rebuilds the hospital's anchored 16-ary root from all chunk roots, so a record
// marked absent would turn its leaf into 0 and change the root (it cannot be hidden), and a
// record that is not in the anchored tree cannot be counted (it cannot be invented). The last,
// partly filled chunk pads with present = 0, whose leaves are exactly the 0 leaves the
// hospital committed, and which never count.
template CohortCount(C, K, S, M, DS, DM) {
    var F = 12;
    signal input criteriaHash;
    signal input schemaId;
    signal input scalarSlots[S];
    signal input dxNegate[DS];
    signal input dxCodes[DS][DM];

    signal input present[C];
    signal input attrs[C];
    signal input salt[C];
    signal input dx[C][K];
    signal input blinding;

    signal output commitment[2];
    signal output chunkRoot;

    component criteria = CriteriaDecoder(S, M, DS, DM, F);
    criteria.schemaId <== schemaId;
    criteria.scalarSlots <== scalarSlots;
    criteria.dxNegate <== dxNegate;
    criteria.dxCodes <== dxCodes;
    criteria.criteriaHash === criteriaHash;

    component record[C];
    component leafHash[C];
    signal leaf[C];
    signal counted[C];
    var count = 0;
    for (var i = 0; i < C; i++) {
        present[i] * (present[i] - 1) === 0;

        leafHash[i] = Poseidon(2 + K);
        leafHash[i].inputs[0] <== attrs[i];
        leafHash[i].inputs[1] <== salt[i];
        for (var k = 0; k < K; k++) leafHash[i].inputs[2 + k] <== dx[i][k];
        leaf[i] <== present[i] * leafHash[i].out;

        record[i] = RecordMatcher(K, S, M, DS, DM, F);
        record[i].attrs <== attrs[i];
        record[i].dx <== dx[i];
        record[i].select <== criteria.select;
        record[i].lo <== criteria.lo;
        record[i].hi <== criteria.hi;
        record[i].negate <== criteria.negate;
        record[i].set <== criteria.set;
        record[i].dxNegate <== dxNegate;
        record[i].dxCodes <== dxCodes;
        counted[i] <== present[i] * record[i].match;
        count += counted[i];
    }

    component root = Poseidon(C);
    root.inputs <== leaf;
    chunkRoot <== root.out;

    // C = 16 fits in 5 bits; the commitment hides it.
    component commit = CountCommitment(5);
    commit.count <== count;
    commit.blinding <== blinding;
    commitment <== commit.point;
}
