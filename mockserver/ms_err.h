/* ms_err -- the one error vocabulary of wsmock: 0 is success, negative codes grouped by kind. */
#ifndef MS_ERR_H
#define MS_ERR_H

enum ms_err {
    MS_OK = 0,
    MS_ERR_OOM = -1,       /* an allocation failed */
    MS_ERR_PARSE = -2,     /* input text is not what was expected (JSON, number, argument) */
    MS_ERR_INVALID = -3,   /* well-formed input with a wrong value (type, range, unknown name) */
    MS_ERR_NOT_FOUND = -4, /* the named thing does not exist */
    MS_ERR_IO = -5,        /* a file or socket operation failed; errno says why */
    MS_ERR_FULL = -6,      /* a bounded queue or buffer is full */
};

/* Returns a static, human-readable name for an ms_err code; never NULL. */
const char *ms_strerror(int err);

#endif
