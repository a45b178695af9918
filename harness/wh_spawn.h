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
/*
 * Runs CMD: split on spaces and exec'd directly when it is plain words, else through
 * `/bin/sh -c "exec CMD"` (either way p->pid is the server's own process),
 * with the soft open-file limit raised to the hard one, stdout and stderr appended to log_file
 * (NULL: /dev/null), and the child killed if this process dies. Does not wait for anything: the
 * caller decides what "ready" means. p->out_fd is -1. Returns 0, or -1 with the reason in err.
 */
int wh_spawn_cmd(struct wh_proc *p, const char *cmd, const char *log_file, char *err,
                 size_t errlen);
/* The resident set size of process pid in KiB (VmRSS), or -1 if it cannot be read. */
long wh_proc_rss_kb(pid_t pid);
/* 1 while pid is still running (not exited, not a zombie we reaped); reaps it if it exited. */
int wh_proc_alive(struct wh_proc *p);
/* SIGTERM, then waits up to timeout_ms (then SIGKILL). Returns the exit status (0 clean), or -1
 * if it had to be killed. */
int wh_proc_stop(struct wh_proc *p, long timeout_ms);

#endif
