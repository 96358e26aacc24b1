/* Fork-join over a fixed number of threads: the caller runs part 0, pthreads run the others. */
#ifndef CARELEDGER_PARALLEL_H
#define CARELEDGER_PARALLEL_H

#include <stddef.h>

typedef void (*parallel_fn)(void *ctx, int part, int parts);

/* Runs fn(ctx, i, parts) for i in [0, parts) concurrently and waits for all of them. */
void parallel_run(int parts, parallel_fn fn, void *ctx);

/* [begin, end) of part `part` when n items are split into `parts` nearly equal ranges. */
static inline void parallel_range(size_t n, int part, int parts, size_t *begin, size_t *end) {
    *begin = n * (size_t)part / (size_t)parts;
    *end = n * (size_t)(part + 1) / (size_t)parts;
}

#endif
