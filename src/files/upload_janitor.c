/*
 * The upload janitor: one thread that aborts abandoned direct uploads
 * (files_upload_sweep) so S3 does not keep their parts, and their storage
 * cost, forever. See upload_direct.h.
 */
#include "files/upload_direct.h"

#include "core/cfg.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define JANITOR_INTERVAL_MAX_MS 60000

struct files_upload_janitor {
    struct files_env env;
    int64_t max_age_ms;
    int64_t interval_ms;
    files_upload_janitor_report report;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* on CLOCK_MONOTONIC: a wall-clock step does not skip or stall sweeps */
    atomic_bool stopping; /* also read by a sweep in progress, which stops early */
};

static void *janitor_main(void *arg)
{
    struct files_upload_janitor *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!atomic_load(&j->stopping)) {
        pthread_mutex_unlock(&j->lock);
        struct files_upload_sweep_stats st;
        int rc = files_upload_sweep(&j->env, j->max_age_ms, time_now_ms(), &j->stopping, &st);
        if (j->report && (rc || st.aborted || st.failed))
            j->report(j->ctx, rc, &st);
        pthread_mutex_lock(&j->lock);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += j->interval_ms / 1000;
        until.tv_nsec += (j->interval_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!atomic_load(&j->stopping) &&
               pthread_cond_timedwait(&j->wake, &j->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

int files_upload_janitor_start(const struct files_env *env, const struct cfg *cfg,
                               files_upload_janitor_report report, void *ctx,
                               struct files_upload_janitor **ret)
{
    struct files_upload_janitor *j = calloc(1, sizeof(*j));
    if (!j)
        return SEAU_E_NOMEM;
    j->env = *env;
    j->max_age_ms = cfg->upload_session_max_age_ms;
    j->interval_ms = j->max_age_ms / 10;
    if (j->interval_ms > JANITOR_INTERVAL_MAX_MS)
        j->interval_ms = JANITOR_INTERVAL_MAX_MS;
    if (j->interval_ms < 1000)
        j->interval_ms = 1000;
    j->report = report;
    atomic_init(&j->stopping, false);
    j->ctx = ctx;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&j->lock, NULL);
    if (pthread_create(&j->thread, NULL, janitor_main, j) != 0) {
        pthread_cond_destroy(&j->wake);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return SEAU_E_INTERNAL;
    }
    *ret = j;
    return 0;
}

void files_upload_janitor_stop(struct files_upload_janitor *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    atomic_store(&j->stopping, true);
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->wake);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
