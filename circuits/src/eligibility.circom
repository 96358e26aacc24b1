pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "./criteria_decoder.circom";
include "./record_matcher.circom";
include "./merkle_path16.circom";

// A patient proves that their committed record meets a trial's criteria, revealing only a
// per-scope nullifier. Public signals: [nullifier, root, criteriaHash, scopeId].
//
// The record's salt is the patient's identity commitment Poseidon(patientSecret): the hospital
// builds the leaf from the commitment alone, and only the patient, who knows the secret, can
// prove for that leaf. Tying the nullifier to the same secret means one record yields one
// nullifier per scope, so a patient cannot enrol twice in a trial (the verifier keeps the
// NullifierSet), and nullifiers of different scopes cannot be linked to each other.
template Eligibility(depth, K, S, M, DS, DM) {
    var F = 12;
    signal input root;
    signal input criteriaHash;
    signal input scopeId;

    signal input patientSecret;
    signal input attrs;
    signal input dx[K];
    signal input pathIndex[depth];
    signal input pathChildren[depth][16];
    signal input schemaId;
    signal input scalarSlots[S];
    signal input dxNegate[DS];
    signal input dxCodes[DS][DM];

    signal output nullifier;

    component identity = Poseidon(1);
    identity.inputs[0] <== patientSecret;

    component leaf = Poseidon(2 + K);
    leaf.inputs[0] <== attrs;
    leaf.inputs[1] <== identity.out;
    for (var k = 0; k < K; k++) leaf.inputs[2 + k] <== dx[k];

    component path = MerklePath16(depth);
    path.leaf <== leaf.out;
    path.index <== pathIndex;
    path.children <== pathChildren;
    path.root === root;

    component criteria = CriteriaDecoder(S, M, DS, DM, F);
    criteria.schemaId <== schemaId;
    criteria.scalarSlots <== scalarSlots;
    criteria.dxNegate <== dxNegate;
    criteria.dxCodes <== dxCodes;
    criteria.criteriaHash === criteriaHash;

    component record = RecordMatcher(K, S, M, DS, DM, F);
    record.attrs <== attrs;
    record.dx <== dx;
    record.select <== criteria.select;
    record.lo <== criteria.lo;
    record.hi <== criteria.hi;
    record.negate <== criteria.negate;
    record.set <== criteria.set;
    record.dxNegate <== dxNegate;
    record.dxCodes <== dxCodes;
    record.match === 1;

    component nullifierHash = Poseidon(2);
    nullifierHash.inputs[0] <== patientSecret;
    nullifierHash.inputs[1] <== scopeId;
    nullifier <== nullifierHash.out;
}
