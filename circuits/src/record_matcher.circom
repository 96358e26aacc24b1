pragma circom 2.1.0;

include "./record_fields.circom";
include "./scalar_criterion.circom";
include "./diagnosis_criterion.circom";

// Evaluates the whole conjunction of criteria on one record: match = AND of all slots.
// Unused slots compile to always-true criteria, so a query with fewer criteria needs no
// special case here.
template RecordMatcher(K, S, M, DS, DM, F) {
    signal input attrs;
    signal input dx[K];
    signal input select[S][F];
    signal input lo[S];
    signal input hi[S];
    signal input negate[S];
    signal input set[S][M];
    signal input dxNegate[DS];
    signal input dxCodes[DS][DM];
    signal output match;

    component record = RecordFields();
    record.attrs <== attrs;

    component scalar[S];
    component diagnosis[DS];
    signal all[S + DS];
    for (var s = 0; s < S; s++) {
        scalar[s] = ScalarCriterion(F, M);
        scalar[s].fields <== record.fields;
        scalar[s].select <== select[s];
        scalar[s].lo <== lo[s];
        scalar[s].hi <== hi[s];
        scalar[s].negate <== negate[s];
        scalar[s].set <== set[s];
        if (s == 0) {
            all[0] <== scalar[0].ok;
        } else {
            all[s] <== all[s - 1] * scalar[s].ok;
        }
    }
    for (var d = 0; d < DS; d++) {
        diagnosis[d] = DiagnosisCriterion(K, DM);
        diagnosis[d].dx <== dx;
        diagnosis[d].negate <== dxNegate[d];
        diagnosis[d].codes <== dxCodes[d];
        all[S + d] <== all[S + d - 1] * diagnosis[d].ok;
    }
    match <== all[S + DS - 1];
}
