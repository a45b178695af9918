/* wh_spawn -- starts a wsmock process on a free port for a test or a benchmark, and stops it. */
#ifndef WH_SPAWN_H
#define WH_SPAWN_H

#include <sys/types.h>

struct wh_proc {
    pid_t pid;
    int port;
    int out_fd; /* the child's stdout (after the ready line) */
};

/*
 * Runs `bin --port 0 ARGS...` (args NULL-terminated, may be NULL), waits (poll, deadline
 * timeout_ms) for its ready line "wsmock listening on http://HOST:PORT" and fills p. Returns 0, or
 * -1 with the reason in err (exec failed, exited, no ready line in time); the child is reaped.
 */
int wh_spawn_wsmock(struct wh_proc *p, const char *bin, const char *const *args, long timeout_ms,
                    char *err, size_t errlen);
/* SIGTERM, then waits up to timeout_ms (then SIGKILL). Returns the exit status (0 clean), or -1
 * if it had to be killed. */
int wh_proc_stop(struct wh_proc *p, long timeout_ms);

#endif
