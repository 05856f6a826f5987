/* Tests of src/files/transfers.c: the bound on proxied transfers, at it and past it. */
#include "../testutil.h"

#include "core/err.h"
#include "files/transfers.h"

#include <pthread.h>
#include <stdatomic.h>

static void test_at_and_past_the_limit(void **state)
{
    (void)state;
    assert_int_equal(files_transfers_running(), 0);
    /* Up to the limit: every slot is given. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(files_transfer_acquire(3), 0);
    assert_int_equal(files_transfers_running(), 3);
    /* One past: refused, and the refusal takes nothing. */
    assert_int_equal(files_transfer_acquire(3), SEAU_E_UNAVAILABLE);
    assert_int_equal(files_transfer_acquire(3), SEAU_E_UNAVAILABLE);
    assert_int_equal(files_transfers_running(), 3);
    /* A release makes room for exactly one more. */
    files_transfer_release();
    assert_int_equal(files_transfer_acquire(3), 0);
    assert_int_equal(files_transfer_acquire(3), SEAU_E_UNAVAILABLE);
    /* A higher bound (another configuration) counts the same slots. */
    assert_int_equal(files_transfer_acquire(4), 0);
    for (int i = 0; i < 4; i++)
        files_transfer_release();
    assert_int_equal(files_transfers_running(), 0);
    /* A bound of 0 refuses everything. */
    assert_int_equal(files_transfer_acquire(0), SEAU_E_UNAVAILABLE);
    assert_int_equal(files_transfers_running(), 0);
}

#define RACERS 8
#define ROUNDS 2000
#define BOUND  3

static atomic_int holders; /* racers holding a slot now */
static atomic_int over;    /* times more than BOUND held one at once */

static void *racer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (files_transfer_acquire(BOUND) == 0) {
            if (atomic_fetch_add(&holders, 1) + 1 > BOUND)
                atomic_fetch_add(&over, 1);
            atomic_fetch_sub(&holders, 1);
            files_transfer_release();
        }
    }
    return NULL;
}

/* Racing threads never hold more than the bound together, and every slot comes back. */
static void test_racing(void **state)
{
    (void)state;
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&over), 0);
    assert_int_equal(files_transfers_running(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at_and_past_the_limit),
        cmocka_unit_test(test_racing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
