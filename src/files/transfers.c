#include "files/transfers.h"

#include "core/err.h"

#include <stdatomic.h>

static atomic_size_t transfers;

int files_transfer_acquire(size_t max)
{
    /* Take first, then check: two racing callers can never both take the last slot. */
    size_t before = atomic_fetch_add(&transfers, 1);
    if (before >= max) {
        atomic_fetch_sub(&transfers, 1);
        return SEAU_E_UNAVAILABLE;
    }
    return 0;
}

void files_transfer_release(void)
{
    atomic_fetch_sub(&transfers, 1);
}

size_t files_transfers_running(void)
{
    return atomic_load(&transfers);
}
