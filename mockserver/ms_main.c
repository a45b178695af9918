/* wsmock -- entry point: subcommands (check, record, import-har), or parse options, create the
 * server, run the loop. */
#include <stdio.h>
#include <string.h>
#include "ms_options.h"
#include "ms_record.h"
#include "ms_scenario.h"
#include "ms_server.h"

/* wsmock check FILE...: loads each scenario and prints "FILE: ok" or every problem. */
static int check_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: wsmock check FILE...\n\nValidates scenario files (scenarios/FORMAT.md)."
                   " Prints FILE: ok, or every problem\nwith its place. Exit 0 if all are valid, 2 "
                   "otherwise.\n");
        return argc < 2 ? 2 : 0;
    }
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct ms_diag d = {0};
        struct ms_scenario *s = ms_scenario_load_file(argv[i], &d);
        if (s)
            printf("%s: ok (%s: %zu rules, %zu replies, %zu timeline events, %zu expectations)\n",
                   argv[i], s->name, s->n_rules, s->replies.n, s->n_timeline, s->n_expects);
        for (size_t k = 0; k < d.n; k++)
            fprintf(stderr, "%s\n", d.lines[k]);
        bad |= !s;
        ms_scenario_free(s);
        ms_diag_free(&d);
    }
    return bad ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "check"))
        return check_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "record"))
        return ms_record_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "import-har"))
        return ms_import_har_main(argc - 1, argv + 1);
    struct ms_options opt;
    ms_options_defaults(&opt);
    int rc = ms_options_parse(&opt, argc, argv, stdout, stderr);
    if (rc)
        return rc == 1 ? 0 : 2;
    static struct ms_server srv;
    rc = ms_server_create(&srv, &opt);
    if (rc) {
        ms_server_destroy(&srv);
        return rc;
    }
    rc = ms_server_run(&srv);
    ms_server_destroy(&srv);
    return rc;
}
