#include "core/err.h"

#include <stddef.h>

struct err_entry {
    int status;
    const char *code;
    const char *message;
    const char *name;
};

static const struct err_entry err_table[] = {
#define SEAU__ERR_ROW(name, status, code, msg) {status, code, msg, "SEAU_E_" #name},
    SEAU_ERRORS(SEAU__ERR_ROW)
#undef SEAU__ERR_ROW
};

static const struct err_entry *err_lookup(int err)
{
    if (err <= SEAU__ERR_FIRST || err >= SEAU__ERR_LAST)
        return NULL;
    return &err_table[err - SEAU__ERR_FIRST - 1];
}

int err_http_status(int err)
{
    const struct err_entry *e = err_lookup(err);
    return e ? e->status : 500;
}

const char *err_api_code(int err)
{
    const struct err_entry *e = err_lookup(err);
    return e ? e->code : "internal";
}

const char *err_message(int err)
{
    const struct err_entry *e = err_lookup(err);
    return e ? e->message : "Something went wrong on the server.";
}

const char *err_name(int err)
{
    if (err == SEAU_OK)
        return "SEAU_OK";
    const struct err_entry *e = err_lookup(err);
    return e ? e->name : "SEAU_E_UNKNOWN";
}
