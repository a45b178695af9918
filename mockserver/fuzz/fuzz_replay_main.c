/* fuzz_replay_main -- runs a fuzz target over files and directories, without libFuzzer. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz_target.h"

/*
 * Usage: fuzz_replay_NAME PATH...  Every PATH is a file or a directory, walked recursively in
 * name order (files and directories whose name starts with '.' are skipped, like .gitkeep). Each
 * file's bytes go through LLVMFuzzerTestOneInput() once. The name of each file is printed before
 * it runs, so a crash names its input. Exit 0 when every input ran, 1 when a path is missing or
 * unreadable or no input was found at all; a crashing input crashes the runner.
 */

static int run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (cap - len < 4096) {
            unsigned char *n = realloc(buf, cap = cap * 2 + 65536);
            if (!n) {
                fprintf(stderr, "fuzz_replay: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = n;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "fuzz_replay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    printf("replay %s (%zu bytes)\n", path, len);
    fflush(stdout);
    /* A copy of exactly len bytes, so ASan sees a read past the end of the input. */
    unsigned char *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *sub = NULL;
        if (names[i]->d_name[0] != '.' && rc == 0) {
            if (asprintf(&sub, "%s/%s", path, names[i]->d_name) < 0)
                rc = -1;
            else
                rc = run_path(sub, count);
            free(sub);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count))
            return 1;
    printf("%zu inputs replayed\n", count);
    if (!count) {
        fprintf(stderr, "fuzz_replay: no input found\n");
        return 1;
    }
    return 0;
}
