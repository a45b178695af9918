/* wh_testkit -- small helpers several harness tests share: a scenario loaded into a running
 * wsmock, a listening socket on a free port, and a subcommand run in-process with its output. */
#ifndef WH_TESTKIT_H
#define WH_TESTKIT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "wh_wsclient.h"

/* Loads a scenario (its JSON text) into the wsmock on port through the control API; a refusal
 * fails the test and prints wsmock's answer. */
static inline void wh_test_load_scenario(int port, const char *json)
{
    struct wh_http_result r;
    const char *h[] = {"Content-Type: application/json", NULL};
    wh_http_request("127.0.0.1", port, "POST", "/__mock/scenario", h, json, strlen(json), 3000, &r);
    if (r.resp.status != 200)
        fprintf(stderr, "\n  scenario refused: %d %s %s\n", r.resp.status,
                r.resp.body ? (char *)r.resp.body : "", r.detail);
    CU_ASSERT_EQUAL_FATAL(r.resp.status, 200);
    wh_http_result_free(&r);
}

/* A listening socket on 127.0.0.1 with a port the kernel picked (*port gets it); the caller
 * closes it. */
static inline int wh_test_listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(!bind(fd, (struct sockaddr *)&a, sizeof(a)));
    CU_ASSERT_FATAL(!listen(fd, 16));
    CU_ASSERT_FATAL(!getsockname(fd, (struct sockaddr *)&a, &al));
    *port = ntohs(a.sin_port);
    return fd;
}

/* Runs a subcommand's main in-process with stdout and stderr captured into out (NUL-terminated,
 * cut at outlen - 1); returns its exit code. */
static inline int wh_test_run_main(int (*main_fn)(int, char **), char **argv, int argc, char *out,
                                   size_t outlen)
{
    fflush(stdout);
    fflush(stderr);
    FILE *tmp = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
    int saved1 = dup(1), saved2 = dup(2);
    dup2(fileno(tmp), 1);
    dup2(fileno(tmp), 2);
    int rc = main_fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved1, 1);
    dup2(saved2, 2);
    close(saved1);
    close(saved2);
    rewind(tmp);
    size_t n = fread(out, 1, outlen - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

#endif
