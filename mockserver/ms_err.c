/* ms_err -- names for the ms_err codes. */
#include "ms_err.h"

const char *ms_strerror(int err)
{
    switch (err) {
    case MS_OK:
        return "success";
    case MS_ERR_OOM:
        return "out of memory";
    case MS_ERR_PARSE:
        return "parse error";
    case MS_ERR_INVALID:
        return "invalid value";
    case MS_ERR_NOT_FOUND:
        return "not found";
    case MS_ERR_IO:
        return "I/O error";
    case MS_ERR_FULL:
        return "queue full";
    }
    return "unknown error";
}
