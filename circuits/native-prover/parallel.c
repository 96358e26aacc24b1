#include "parallel.h"

#include <pthread.h>

typedef struct {
    parallel_fn fn;
    void *ctx;
    int part, parts;
} parallel_task;

static void *parallel_entry(void *arg) {
    parallel_task *t = arg;
    t->fn(t->ctx, t->part, t->parts);
    return NULL;
}

void parallel_run(int parts, parallel_fn fn, void *ctx) {
    if (parts <= 1) { fn(ctx, 0, 1); return; }
    pthread_t threads[parts];
    parallel_task tasks[parts];
    int started[parts];
    for (int i = 1; i < parts; i++) {
        tasks[i] = (parallel_task){fn, ctx, i, parts};
        started[i] = pthread_create(&threads[i], NULL, parallel_entry, &tasks[i]) == 0;
        /* no thread: run that part here instead, the result is the same */
        if (!started[i]) fn(ctx, i, parts);
    }
    fn(ctx, 0, parts);
    for (int i = 1; i < parts; i++) {
        if (started[i]) pthread_join(threads[i], NULL);
    }
}
