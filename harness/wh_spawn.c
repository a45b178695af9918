/* wh_spawn -- fork/exec of wsmock (ready line read with a deadline) or of any server command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ms_time.h"
#include "wh_spawn.h"

int wh_spawn_wsmock(struct wh_proc *p, const char *bin, const char *const *args, long timeout_ms,
                    char *err, size_t errlen)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    const char *argv[64] = {bin, "--port", "0"};
    int n = 3;
    for (int i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* if the test or benchmark dies (a failed assertion that ends it early), so does wsmock */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        /* a developer's token would make every control API call of the tests a 401 */
        unsetenv("WSMOCK_CONTROL_TOKEN");
        dup2(fds[1], 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char buf[512];
    size_t len = 0;
    int64_t end = ms_time_mono_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(buf, '\n', len);
        if (nl) {
            *nl = '\0';
            const char *colon = strrchr(buf, ':');
            if (strncmp(buf, "wsmock listening on http://", 27) || !colon) {
                snprintf(err, errlen, "unexpected first line from %s: %s", bin, buf);
                break;
            }
            p->pid = pid;
            p->port = atoi(colon + 1);
            p->out_fd = fds[0];
            return 0;
        }
        int64_t left = end - ms_time_mono_ms();
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            snprintf(err, errlen, "%s printed no ready line within %ld ms", bin, timeout_ms);
            break;
        }
        ssize_t got = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (got <= 0) {
            snprintf(err, errlen, "%s exited before it was ready (see its stderr)", bin);
            break;
        }
        len += (size_t)got;
        buf[len] = '\0';
        if (len == sizeof(buf) - 1) {
            snprintf(err, errlen, "%s: ready line too long", bin);
            break;
        }
    }
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int wh_proc_stop(struct wh_proc *p, long timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    /* Wait for the child's exit on a pidfd-less kernel-neutral way: a signalfd for SIGCHLD. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    kill(p->pid, SIGTERM);
    int status = 0, rc = -1;
    int64_t end = ms_time_mono_ms() + timeout_ms;
    for (;;) {
        pid_t w = waitpid(p->pid, &status, WNOHANG);
        if (w == p->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        int64_t left = end - ms_time_mono_ms();
        struct pollfd pfd = {.fd = sfd, .events = POLLIN};
        if (left <= 0 || sfd < 0 || poll(&pfd, 1, (int)left) <= 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            rc = -1;
            break;
        }
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof(si)) < 0)
            continue;
    }
    if (sfd >= 0)
        close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->pid = 0;
    return rc;
}

int wh_spawn_cmd(struct wh_proc *p, const char *cmd, const char *log_file, char *err, size_t errlen)
{
    int log =
        open(log_file ? log_file : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        snprintf(err, errlen, "%s: %s", log_file, strerror(errno));
        return -1;
    }
    size_t len = strlen(cmd) + 6;
    char *line = malloc(len);
    if (!line) {
        close(log);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(line, len, "exec %s", cmd);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        free(line);
        close(log);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        struct rlimit rl;
        if (!getrlimit(RLIMIT_NOFILE, &rl)) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        dup2(log, 1);
        dup2(log, 2);
        if (!strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n\t")) {
            /* plain words: exec them directly, so a benchmark's start-up time is the server's and
             * not a shell's too */
            char *argv[64], *save = NULL;
            int n = 0;
            for (char *w = strtok_r(line + 5, " ", &save); w && n < 63;
                 w = strtok_r(NULL, " ", &save))
                argv[n++] = w;
            argv[n] = NULL;
            if (n)
                execvp(argv[0], argv);
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    free(line);
    close(log);
    p->pid = pid;
    p->port = 0;
    p->out_fd = -1;
    return 0;
}

long wh_proc_rss_kb(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *v = strstr(buf, "\nVmRSS:");
    return v ? strtol(v + 8, NULL, 10) : -1;
}

int wh_proc_alive(struct wh_proc *p)
{
    if (p->pid <= 0)
        return 0;
    int status;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
        p->pid = 0;
        return 0;
    }
    return 1;
}
