// V8 flags every node process runs with (npm start, bin/careledger.mjs, the local consortium,
// the tests' node processes). With no old-space limit V8 lets the heap of a busy node grow far
// past its ~80 MB of live data before collecting (measured: 540 MB resident after 60,000
// imported resources); at 384 MB it stays near 350 MB, with room for a 16 MiB request body.
export const NODE_FLAGS = ['--max-old-space-size=384'];
