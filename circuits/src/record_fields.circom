pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Unpacks the attribute word of a feature record into its 12 comparable fields.
//
// All scalar attributes (birth day, sex, five lab values and their dates) travel in ONE field
// element so that a single Num2Bits range-checks every one of them at once: 184 constraints
// per record instead of one decomposition per field. Because 184 < 253, the decomposition is
// unique (no aliasing modulo p), and every field below is therefore < 2^17, which is what the
// LessThan(17) comparators downstream assume.
//
// Layout, least significant bit first (must match gateway/cohort/record-encoding.ts):
//   [0,17)    birth day number (1 = 1900-01-01, 0 = unknown)
//   [17,19)   administrative sex (0 unknown, 1 male, 2 female, 3 other)
//   [19,99)   five lab values, 16 bits each (scaled value + 1, 0 = no value)
//   [99,184)  five lab dates, 17 bits each (day number, 0 = no value)
// Output order: birth, sex, value[0..4], date[0..4].
template RecordFields() {
    signal input attrs;
    signal output fields[12];

    component bits = Num2Bits(184);
    bits.in <== attrs;

    var offsets[12] = [0, 17, 19, 35, 51, 67, 83, 99, 116, 133, 150, 167];
    var widths[12] = [17, 2, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17];

    // Recombining bits with constant weights is linear: it costs no constraints.
    var acc;
    for (var f = 0; f < 12; f++) {
        acc = 0;
        for (var b = 0; b < widths[f]; b++) {
            acc += bits.out[offsets[f] + b] * (1 << b);
        }
        fields[f] <== acc;
    }
}
