/* fuzz_target -- what every fuzz target defines, and small helpers they share. */
#ifndef FUZZ_TARGET_H
#define FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Runs one input (data is borrowed for the call; size may be 0). Returns 0. A violated invariant
 * aborts (FUZZ_CHECK), so libFuzzer and the replay runner both report it as a crash.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition when cond is false: a broken invariant is a finding. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated copy of data[0..size) (caller frees with free()); aborts on OOM. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* 1 if the error text in buf[0..len) is NUL-terminated and not empty. */
static inline int fuzz_err_ok(const char *buf, size_t len)
{
    return buf[0] != '\0' && memchr(buf, '\0', len) != NULL;
}

#endif
