pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";

// Inclusion of a leaf in a 16-ary Poseidon Merkle tree of fixed depth.
//
// Arity 16 because Poseidon(16) costs ~38 constraints per child against ~120 for a binary
// node, and the same tree is rebuilt chunk by chunk inside cohort_count. The prover supplies
// all 16 children of each level plus the leaf's position in it; the circuit checks that the
// position holds the running hash, so the 15 other children are the siblings. Requiring exactly
// one IsEqual hit rejects positions >= 16.
template MerklePath16(depth) {
    signal input leaf;
    signal input index[depth];
    signal input children[depth][16];
    signal output root;

    component isAt[depth][16];
    component node[depth];
    signal picked[depth][16];
    signal running[depth + 1];
    running[0] <== leaf;
    for (var level = 0; level < depth; level++) {
        var hits = 0;
        var atIndex = 0;
        for (var j = 0; j < 16; j++) {
            isAt[level][j] = IsEqual();
            isAt[level][j].in[0] <== index[level];
            isAt[level][j].in[1] <== j;
            hits += isAt[level][j].out;
            picked[level][j] <== isAt[level][j].out * children[level][j];
            atIndex += picked[level][j];
        }
        hits === 1;
        atIndex === running[level];

        node[level] = Poseidon(16);
        node[level].inputs <== children[level];
        running[level + 1] <== node[level].out;
    }
    root <== running[depth];
}
